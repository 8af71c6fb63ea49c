/* The gate's service worker (served as /checkin-sw.js, registered by checkin_offline.js with
 * the scope /checkin): keeps the check-in page and its static files on the device, so that the
 * page still opens when the venue's connection drops.
 *
 * Network first, the cache as the fallback: online, the page and its files always come fresh
 * from the server (and the copy is renewed); offline, the last copy is served. Only the plain
 * page (/checkin, no query) and files under /static/ are kept: look-ups, the day's bookings and
 * the sync go to the network as they are (the page keeps the bookings in IndexedDB itself).
 * A redirect (to the log-in page) or an error is never stored in place of the page.
 */
'use strict'

const CACHE = 'koin-gate-v1'
const PAGE = '/checkin'

self.addEventListener('install', () => self.skipWaiting())

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys()
      await Promise.all(names.filter((name) => name.startsWith('koin-gate-') && name !== CACHE).map((name) => caches.delete(name)))
      await self.clients.claim()
    })(),
  )
})

const keptPath = (url) => url.origin === self.location.origin && (url.pathname.startsWith('/static/') || (url.pathname === PAGE && !url.search))

async function store(key, response) {
  if (!response.ok || response.redirected || response.type !== 'basic') return false
  const cache = await caches.open(CACHE)
  await cache.put(key, response)
  return true
}

/* Network first; offline, the copy kept under ``key`` (none: nothing to fall back on). */
async function networkFirst(request, key, keep) {
  try {
    const response = await fetch(request)
    if (keep) await store(key, response.clone())
    return response
  } catch (offline) {
    const cached = await caches.match(key, { ignoreVary: true })
    if (cached) return cached
    throw offline
  }
}

self.addEventListener('fetch', (event) => {
  const request = event.request
  if (request.method !== 'GET') return
  const url = new URL(request.url)
  if (url.origin !== self.location.origin) return
  if (request.mode === 'navigate' && url.pathname === PAGE) {
    // Only the plain page is kept; offline, the page with a code in its query opens as the
    // plain page too, and its script looks the code up on the device.
    event.respondWith(networkFirst(request, PAGE, !url.search))
    return
  }
  if (url.pathname.startsWith('/static/')) {
    event.respondWith(networkFirst(request, url.pathname + url.search, true))
  }
})

/* The page asks to keep what it has already loaded (before this worker controlled it): its own
 * address and its files. The answer on the message's port says that the copy is complete. */
self.addEventListener('message', (event) => {
  const data = event.data || {}
  if (data.type !== 'keep' || !Array.isArray(data.urls)) return
  const port = event.ports && event.ports[0]
  event.waitUntil(
    (async () => {
      let kept = 0
      for (const address of data.urls) {
        const url = new URL(address, self.location.origin)
        if (!keptPath(url)) continue
        try {
          const response = await fetch(url.href, { credentials: 'same-origin', cache: 'no-cache' })
          if (await store(url.pathname + url.search, response)) kept += 1
        } catch {
          // offline already: what is kept stays as it was
        }
      }
      if (port) port.postMessage({ kept })
    })(),
  )
})
