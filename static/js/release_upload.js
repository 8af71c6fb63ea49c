/* The upload page's batch consent document: once a file of the batch is uploaded (upload.js
 * sends `koin:asset-uploaded` with its asset id), the chosen document is posted to that asset
 * (koin_media/assets/rights_routes.py), checked and stored by the app like on the edit page.
 * The status line says how many files have it, or why the app refused it. */
;(() => {
  'use strict'
  const input = document.getElementById('batch-release')
  const status = document.getElementById('batch-release-status')
  const csrfMeta = document.querySelector('meta[name="csrf-token"]')
  if (!input || !status) return
  let attached = 0

  function urlFor(assetId) {
    return input.dataset.url.replace(/\/0\/release$/, `/${encodeURIComponent(assetId)}/release`)
  }

  async function attach(assetId) {
    const file = input.files && input.files[0]
    if (!file) return
    const body = new FormData()
    body.append('release', file, file.name)
    if (csrfMeta) body.append('csrf_token', csrfMeta.content)
    try {
      const response = await fetch(urlFor(assetId), {
        method: 'POST',
        body,
        credentials: 'same-origin',
        headers: { Accept: 'application/json' },
      })
      const answer = await response.json().catch(() => ({}))
      if (!response.ok) {
        status.textContent = answer.message || response.statusText
        return
      }
      attached += 1
      status.textContent = input.dataset.done.replace('{n}', String(attached))
    } catch (error) {
      status.textContent = error.message
    }
  }

  input.addEventListener('change', () => {
    attached = 0
    status.textContent = ''
  })
  document.addEventListener('koin:asset-uploaded', (event) => attach(event.detail.assetId))
})()
