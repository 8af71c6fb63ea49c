/* My uploads (templates/assets/mine.html): rows of assets still being checked or processed ask
 * the app where they stand (GET /my/assets/status?ids=...) every few seconds, backing off while
 * nothing changes, and stop once none is left settling. Only those rows change; the page is
 * never reloaded. Without this script the page is complete as it is.
 */
;(() => {
  'use strict'

  const table = document.getElementById('my-uploads')
  if (!table || !window.fetch) return
  const url = table.dataset.statusUrl
  const FIRST_DELAY_MS = 2000
  const MAX_DELAY_MS = 30000
  let delay = FIRST_DELAY_MS

  const settlingRows = () => Array.from(table.querySelectorAll('tr[data-settling]'))

  function update(row, asset) {
    const changed = row.dataset.status !== asset.status
    row.dataset.status = asset.status
    row.querySelector('.status-label').textContent = asset.status_label
    const problem = row.querySelector('.problem')
    problem.textContent = asset.problem || ''
    problem.hidden = !asset.problem
    // Known once processing is over (static/js/duplicates.js writes the server's lines).
    const duplicates = row.querySelector('.duplicates-note')
    if (duplicates && window.koinDuplicates) window.koinDuplicates.render(duplicates, asset.duplicates)
    if (asset.thumb && !row.querySelector('td.thumb img')) {
      const img = document.createElement('img')
      img.className = 'mini'
      img.alt = ''
      img.width = 80
      img.src = asset.thumb
      row.querySelector('td.thumb').appendChild(img)
    }
    if (!asset.settling) {
      row.removeAttribute('data-settling')
      row.classList.remove('settling')
    }
    return changed
  }

  async function poll() {
    const rows = settlingRows()
    if (!rows.length) return
    const ids = rows.map((row) => row.dataset.assetId).join(',')
    let changed = false
    try {
      const response = await fetch(`${url}?ids=${encodeURIComponent(ids)}`, {
        headers: { Accept: 'application/json' },
        credentials: 'same-origin',
        redirect: 'manual', // a log-in redirect is an answer, not a page to parse
      })
      if (response.ok) {
        const { assets } = await response.json()
        for (const asset of assets) {
          const row = table.querySelector(`tr[data-asset-id="${asset.id}"]`)
          if (row && update(row, asset)) changed = true
        }
      } else if (response.type === 'opaqueredirect' || (response.status >= 400 && response.status < 500)) {
        // The session ended (a log-in redirect, 401 or 403), an asset was deleted meanwhile (404)
        // or the ids are refused (400): asking again gets the same answer, so the page stays as it is.
        return
      }
    } catch {
      // Offline for a moment: try again later.
    }
    delay = changed ? FIRST_DELAY_MS : Math.min(delay * 1.5, MAX_DELAY_MS)
    if (settlingRows().length) setTimeout(poll, delay)
  }

  if (settlingRows().length) setTimeout(poll, delay)
})()
