/* A kit's page while the kit is being made (templates/promo/kit.html): ask the API where it
 * stands (GET /api/v1/kits/<token>) every few seconds, backing off while nothing changes, and
 * reload the page once the kit is ready or failed, so its download button or reason shows.
 * Without this script the page's "Refresh" link does the same.
 */
;(() => {
  'use strict'

  const summary = document.getElementById('kit-summary')
  if (!summary || !summary.dataset.statusUrl || !window.fetch) return
  const url = summary.dataset.statusUrl
  const FIRST_DELAY_MS = 2000
  const MAX_DELAY_MS = 30000
  let delay = FIRST_DELAY_MS

  async function poll() {
    try {
      const response = await fetch(url, {
        headers: { Accept: 'application/json' },
        credentials: 'same-origin',
        redirect: 'manual',
      })
      if (response.ok) {
        const kit = await response.json()
        if (kit.status !== 'queued' && kit.status !== 'building') {
          window.location.reload()
          return
        }
      } else if (response.type === 'opaqueredirect' || (response.status >= 400 && response.status < 500)) {
        return // signed out, or the kit is gone: asking again gets the same answer
      }
    } catch {
      // Offline for a moment: try again later.
    }
    delay = Math.min(delay * 1.5, MAX_DELAY_MS)
    setTimeout(poll, delay)
  }

  setTimeout(poll, delay)
})()
