/* The duplicate warning in the browser (koin_media/assets/duplicates.py; the server's own lines
 * are templates/assets/_duplicates.html). koinDuplicates.render(container, items) writes the
 * lines of a status answer (GET /my/assets/status, DuplicateWarning.as_json): the words around
 * the other asset's title are the server's, in the page's language, and the title is a link only
 * when the server sent one (the creator may see that asset). My uploads (my_uploads.js) calls it
 * as its rows settle.
 *
 * On the upload page, each file whose upload completed (upload.js announces it with the
 * "koin:asset-uploaded" event) is asked about until its processing is over, when its duplicates
 * are known, and its row gains the warning. Without this script the upload works the same, and
 * My uploads and the asset's pages show the warning.
 */
;(() => {
  'use strict'

  function line(item) {
    const el = document.createElement('span')
    el.className = 'duplicate'
    el.dataset.kind = item.kind || ''
    el.append(item.before || '')
    if (item.url && item.url.startsWith('/')) {
      const link = document.createElement('a')
      link.href = item.url
      link.textContent = item.title || ''
      el.append(link)
    } else if (item.title) {
      el.append(item.title)
    }
    el.append(item.after || '')
    return el
  }

  function render(container, items) {
    const list = Array.isArray(items) ? items : []
    container.replaceChildren(...list.map(line))
    container.hidden = list.length === 0
  }

  window.koinDuplicates = { render }

  // --- the upload page ---------------------------------------------------------------------------

  const uploader = document.getElementById('uploader')
  const statusUrl = uploader && uploader.dataset.statusUrl
  if (!statusUrl || !window.fetch) return
  const FIRST_DELAY_MS = 1000
  const MAX_DELAY_MS = 30000
  const MAX_IDS = 50 // what the status URL answers at once (upload_routes.MAX_STATUS_IDS)
  const waiting = new Set()
  let delay = FIRST_DELAY_MS
  let timer = null

  function show(asset) {
    const row = document.querySelector(`#upload-results li[data-asset-id="${asset.id}"]`)
    if (!row) return false // its row is drawn on the next frame: the next answer finds it
    let box = row.querySelector('.upload-result-duplicates')
    if (!box) {
      box = document.createElement('p')
      box.className = 'upload-result-duplicates'
      ;(row.querySelector('.upload-result-main') || row).append(box)
    }
    render(box, asset.duplicates)
    return true
  }

  function schedule() {
    if (waiting.size && timer == null) timer = setTimeout(poll, delay)
  }

  async function poll() {
    timer = null
    const ids = Array.from(waiting).slice(0, MAX_IDS)
    if (!ids.length) return
    let changed = false
    try {
      const response = await fetch(`${statusUrl}?ids=${encodeURIComponent(ids.join(','))}`, {
        headers: { Accept: 'application/json' },
        credentials: 'same-origin',
        redirect: 'manual', // a log-in redirect is an answer, not a page to parse
      })
      if (response.ok) {
        const { assets } = await response.json()
        for (const asset of assets) {
          if (!asset.settling && show(asset)) {
            waiting.delete(asset.id)
            changed = true
          }
        }
      } else if (response.type === 'opaqueredirect' || (response.status >= 400 && response.status < 500)) {
        // The session ended or an asset was deleted meanwhile: asking again gets the same answer.
        waiting.clear()
        return
      }
    } catch {
      // Offline for a moment: try again later.
    }
    delay = changed ? FIRST_DELAY_MS : Math.min(delay * 1.5, MAX_DELAY_MS)
    schedule()
  }

  document.addEventListener('koin:asset-uploaded', (event) => {
    const id = Number(event.detail && event.detail.assetId)
    if (!Number.isInteger(id)) return
    waiting.add(id)
    delay = FIRST_DELAY_MS
    schedule()
  })
})()
