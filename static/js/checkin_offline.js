/* The gate without a connection (templates/visits/_gate_offline.html, visits/gate_routes.py).
 *
 * - The page registers the gate's service worker (/checkin-sw.js), which keeps the page and its
 *   files, and asks it to keep what the page has already loaded.
 * - Online, the day's bookings of each venue the user manages (/gate/<venue>/today.json) are
 *   kept in IndexedDB, with the server's clock (the device's may be wrong) and the session's
 *   CSRF token, and refreshed on load, when the connection returns and after every sync.
 * - Offline, checkin.js asks ``window.koinGateOffline.lookUp`` when its look-up cannot reach
 *   the server: the booking is shown from the device, with the same window the server applies
 *   (status confirmed, from the window's opening until the session ends). Checking in stores an
 *   operation with its own id (crypto.randomUUID) and the moment it happened (server time).
 * - Back online (the online event, each load, "Send now"), the operations waiting are sent to
 *   /gate/sync, which applies each once; the list says which were checked in and which were
 *   refused and why. A session that ended meanwhile keeps them on the device and asks to log in.
 * - Logging out makes the browser forget the site's data (Clear-Site-Data, accounts/sessions.py),
 *   check-ins not yet sent included: the log-out button sends them first and asks before
 *   logging out with some still unsent.
 */
;(() => {
  'use strict'

  const root = document.getElementById('gate-offline')
  const result = document.getElementById('checkin-result')
  if (!root || !result || !window.indexedDB || !window.fetch) return

  const messages = JSON.parse(root.dataset.messages)
  const feeds = JSON.parse(root.dataset.feeds)
  const user = root.dataset.user
  const connectionLine = document.getElementById('gate-connection')
  const dayLine = document.getElementById('gate-day')
  const queueBox = document.getElementById('gate-queue-box')
  const queueList = document.getElementById('gate-queue')
  const syncButton = document.getElementById('gate-sync')
  const syncMessage = document.getElementById('gate-sync-message')
  const csrfMeta = document.querySelector('meta[name=csrf-token]')
  const JSON_HEADERS = { Accept: 'application/json' }
  // Sent and refused check-ins stay listed this long, so the gate can see what happened.
  const KEEP_DONE_MS = 2 * 24 * 3600 * 1000

  let token = csrfMeta ? csrfMeta.content : ''
  let clockOffset = 0 // server time minus device time, from the last day list
  let syncing = null
  let unsent = 0 // check-ins waiting on this device, as the list last showed them

  const fill = (text, values) => text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole))
  const serverNow = () => Date.now() + clockOffset
  const clock = new Intl.DateTimeFormat(root.dataset.lang === 'en' ? 'en-GB' : 'id-ID', {
    timeZone: 'Asia/Makassar',
    hour: '2-digit',
    minute: '2-digit',
  })
  const wita = (moment) => `${clock.format(new Date(moment))} WITA`

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID()
    const bytes = crypto.getRandomValues(new Uint8Array(16))
    bytes[6] = (bytes[6] & 0x0f) | 0x40
    bytes[8] = (bytes[8] & 0x3f) | 0x80
    const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
  }

  // --- IndexedDB ------------------------------------------------------------------------------

  let dbPromise = null
  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const request = indexedDB.open('koin-gate', 1)
        request.onupgradeneeded = () => {
          const db = request.result
          const bookings = db.createObjectStore('bookings', { keyPath: 'code' })
          bookings.createIndex('feed', 'feed')
          bookings.createIndex('id', 'id')
          db.createObjectStore('lists', { keyPath: 'feed' })
          db.createObjectStore('ops', { keyPath: 'id' })
        }
        request.onsuccess = () => resolve(request.result)
        request.onerror = () => reject(request.error)
      })
    }
    return dbPromise
  }

  const done = (request) =>
    new Promise((resolve, reject) => {
      request.onsuccess = () => resolve(request.result)
      request.onerror = () => reject(request.error)
    })
  const finished = (tx) =>
    new Promise((resolve, reject) => {
      tx.oncomplete = () => resolve()
      tx.onerror = () => reject(tx.error)
      tx.onabort = () => reject(tx.error)
    })

  async function read(store, method, ...args) {
    const db = await openDb()
    return done(db.transaction(store).objectStore(store)[method](...args))
  }
  const getAll = (store) => read(store, 'getAll')

  async function write(store, value) {
    const db = await openDb()
    const tx = db.transaction(store, 'readwrite')
    tx.objectStore(store).put(value)
    return finished(tx)
  }

  async function bookingById(id) {
    const db = await openDb()
    return done(db.transaction('bookings').objectStore('bookings').index('id').get(id))
  }

  /* One venue's list replaces what the device kept for it, in one transaction. */
  async function keepList(feed, data) {
    const db = await openDb()
    const tx = db.transaction(['bookings', 'lists'], 'readwrite')
    const bookings = tx.objectStore('bookings')
    const old = await done(bookings.index('feed').getAllKeys(feed))
    old.forEach((code) => bookings.delete(code))
    data.bookings.forEach((booking) => bookings.put({ ...booking, feed }))
    tx.objectStore('lists').put({
      feed,
      user,
      venue: data.venue.name,
      day: data.day,
      day_label: data.day_label,
      count: data.bookings.length,
      fetched_at: Date.now(),
      offset: clockOffset,
    })
    return finished(tx)
  }

  async function dropList(feed) {
    const db = await openDb()
    const tx = db.transaction(['bookings', 'lists'], 'readwrite')
    const old = await done(tx.objectStore('bookings').index('feed').getAllKeys(feed))
    old.forEach((code) => tx.objectStore('bookings').delete(code))
    tx.objectStore('lists').delete(feed)
    return finished(tx)
  }

  /* Another account signed in on this device: the lists are not theirs to see. The check-ins
   * made here stay: the server judges them for whoever sends them. */
  async function forgetOtherAccounts() {
    const lists = await getAll('lists')
    for (const list of lists) {
      if (list.user !== user || !feeds.includes(list.feed)) await dropList(list.feed)
    }
  }

  // --- the connection and the day's lists -------------------------------------------------------

  function showConnection(online) {
    root.dataset.connection = online ? 'online' : 'offline'
    connectionLine.textContent = online ? messages.online : messages.offline
    connectionLine.className = `gate-connection gate-${online ? 'online' : 'offline'}`
  }

  async function showLists() {
    const lists = await getAll('lists')
    if (!lists.length) {
      dayLine.textContent = messages.day_none
      return
    }
    const latest = lists.reduce((a, b) => (a.fetched_at > b.fetched_at ? a : b))
    clockOffset = latest.offset || 0
    dayLine.textContent = fill(messages.day_kept, {
      count: lists.reduce((sum, list) => sum + list.count, 0),
      day: latest.day_label,
      venues: lists.map((list) => list.venue).join(', '),
      time: wita(latest.fetched_at + clockOffset),
    })
  }

  /* Fetch every venue's list. 'ok', 'offline' or 'login' (the session has ended). */
  async function refreshLists() {
    for (const feed of feeds) {
      let response
      const asked = Date.now()
      try {
        response = await fetch(feed, { headers: JSON_HEADERS, credentials: 'same-origin', cache: 'no-store' })
      } catch {
        return 'offline'
      }
      if (response.status === 401) return 'login'
      if (response.status === 403 || response.status === 404) {
        await dropList(feed) // no longer this user's venue
        continue
      }
      let data
      try {
        data = await response.json()
      } catch {
        return 'offline' // a proxy's error page: the server is not reachable
      }
      if (!response.ok || !Array.isArray(data.bookings)) continue
      clockOffset = Date.parse(data.now) - (asked + Date.now()) / 2
      token = data.csrf_token || token
      await keepList(feed, data)
    }
    await showLists()
    return 'ok'
  }

  // --- a booking from the device ----------------------------------------------------------------

  function codeCandidates(text) {
    const normal = (value) => value.replace(/[\s-]/g, '').toUpperCase()
    const found = [normal(text)]
    for (const match of text.matchAll(/(?=([A-Za-z0-9]{4}[\s-]?[A-Za-z0-9]{4}))/g)) found.push(normal(match[1]))
    return [...new Set(found)].filter((code) => code.length === 8)
  }

  const waiting = (op) => op.state === 'pending' || op.state === 'retry'

  async function waitingFor(bookingId) {
    return (await getAll('ops')).find((op) => op.booking_id === bookingId && waiting(op)) || null
  }

  /* Where the gate stands for the booking now: the rules of Booking.check_in_window, with the
   * server's clock. */
  function gateState(booking, op) {
    if (op) return ['waiting', fill(messages.waiting_here, { students: op.students, teachers: op.teachers })]
    if (booking.status === 'checked_in') {
      return ['checked_in', fill(messages.checked_in, { students: booking.attended_students, teachers: booking.attended_teachers })]
    }
    if (booking.status !== 'confirmed') return ['closed', fill(messages.closed, { status: booking.status_label.toLowerCase() })]
    const now = serverNow()
    if (now < Date.parse(booking.opens_at)) return ['too_early', fill(messages.too_early, { times: booking.window_label })]
    if (now >= Date.parse(booking.ends_at)) return ['ended', messages.ended]
    return ['open', fill(messages.open, { time: booking.ends_label })]
  }

  function element(tag, attributes, ...children) {
    const node = document.createElement(tag)
    Object.entries(attributes || {}).forEach(([name, value]) => node.setAttribute(name, value))
    children.forEach((child) => node.append(child))
    return node
  }

  function numberField(id, label, value, max) {
    const input = element('input', { type: 'number', id, name: id, min: '0', max: String(max), step: '1', inputmode: 'numeric', required: '' })
    input.value = String(value)
    return element('div', { class: 'field' }, element('label', { for: id }, label), input)
  }

  async function showBooking(booking) {
    const op = await waitingFor(booking.id)
    const [state, message] = gateState(booking, op)
    const lists = await getAll('lists')
    const list = lists.find((item) => item.feed === booking.feed)
    const status = element('span', { id: 'booking-status', 'data-status': op ? 'waiting' : booking.status }, op ? messages.waiting_label : booking.status_label)
    const title = element('h2', { id: 'checkin-booking-title', tabindex: '-1' }, element('span', { class: 'code' }, booking.display), ' · ', status)
    const facts = element(
      'dl',
      { class: 'facts booking-facts' },
      element('dt', {}, messages.school),
      element('dd', {}, `${booking.school} (NPSN ${booking.npsn})`),
      element('dt', {}, messages.booked),
      element('dd', {}, fill(messages.people, { students: booking.students, teachers: booking.teachers })),
      element('dt', {}, messages.program),
      element('dd', {}, booking.program),
      element('dt', {}, messages.session),
      element('dd', {}, booking.session_label),
    )
    const panel = element(
      'section',
      { class: `checkin-booking gate-${state} gate-from-device`, id: 'checkin-booking', 'data-booking-id': String(booking.id), 'data-window': state, 'data-offline': 'true', 'aria-labelledby': 'checkin-booking-title' },
      title,
      element('p', { class: 'gate-device-note' }, fill(messages.from_device, { time: list ? wita(list.fetched_at + (list.offset || 0)) : '' })),
      element('p', { class: 'gate-window', id: 'gate-window' }, message),
      facts,
    )
    if (state === 'open') {
      const form = element(
        'form',
        { class: 'form checkin-form', id: 'offline-checkin-form', 'data-action': 'check_in_offline', novalidate: '' },
        element('div', { class: 'row' }, numberField('offline-students', messages.students_came, booking.students, booking.students), numberField('offline-teachers', messages.teachers_came, booking.teachers, booking.teachers)),
        element('p', { class: 'error', id: 'offline-error', role: 'alert', hidden: '' }),
        element('button', { type: 'submit', class: 'button checkin-go' }, messages.check_in),
      )
      form.addEventListener('submit', (event) => {
        event.preventDefault()
        checkInHere(booking, form.elements['offline-students'].value, form.elements['offline-teachers'].value, form)
      })
      panel.append(form)
    }
    result.replaceChildren(panel)
    title.scrollIntoView({ block: 'start' })
    title.focus({ preventScroll: true })
  }

  const whole = (value) => (/^\d{1,5}$/.test(String(value).trim()) ? Number(value) : NaN)

  async function checkInHere(booking, studentsText, teachersText, form) {
    const students = whole(studentsText)
    const teachers = whole(teachersText)
    if (!(students <= booking.students && teachers <= booking.teachers)) {
      const problem = form && form.querySelector('#offline-error')
      if (problem) {
        problem.textContent = messages.attendance_invalid
        problem.hidden = false
      }
      return
    }
    if (gateState(booking, await waitingFor(booking.id))[0] !== 'open') return showBooking(booking)
    await write('ops', {
      id: newId(),
      action: 'check_in',
      booking_id: booking.id,
      code: booking.display,
      school: booking.school,
      students,
      teachers,
      happened_at: new Date(serverNow()).toISOString(),
      state: 'pending',
      message: '',
    })
    await showBooking(booking)
    await showQueue()
    sync() // the connection may be back already
  }

  /* checkin.js could not reach the server: answer from the device. True when answered. */
  async function lookUp(text) {
    try {
      showConnection(false)
      for (const code of codeCandidates(text)) {
        const booking = await read('bookings', 'get', code)
        if (booking) {
          await showBooking(booking)
          return true
        }
      }
      const lists = await getAll('lists')
      const note = element('p', { class: 'scan-message scan-error', id: 'offline-not-found', role: 'alert' }, lists.length ? messages.not_on_device : messages.day_none)
      result.replaceChildren(note)
      return true
    } catch {
      return false // no IndexedDB here (a private window may refuse it): checkin.js says so
    }
  }

  /* The server's own panel was shown, then the connection dropped before "Check in". */
  document.addEventListener(
    'submit',
    async (event) => {
      const form = event.target
      if (navigator.onLine || !form.matches('#checkin-result form[data-action=check_in]')) return
      event.preventDefault()
      const panel = form.closest('[data-booking-id]')
      const booking = panel && (await bookingById(Number(panel.dataset.bookingId)))
      if (!booking) return
      await showBooking(booking)
      const shown = document.getElementById('offline-checkin-form')
      if (shown) checkInHere(booking, form.elements.students.value, form.elements.teachers.value, shown)
    },
    true,
  )

  // --- the check-ins made on this device ------------------------------------------------------------

  const STATE_LABELS = {
    pending: messages.state_pending,
    retry: messages.state_retry,
    applied: messages.state_applied,
    already_applied: messages.state_already,
    refused: messages.state_refused,
    invalid: messages.state_refused,
  }

  async function showQueue() {
    const ops = (await getAll('ops')).sort((a, b) => b.happened_at.localeCompare(a.happened_at))
    queueBox.hidden = ops.length === 0
    unsent = ops.filter(waiting).length
    syncButton.hidden = unsent === 0
    queueList.replaceChildren(
      ...ops.map((op) => {
        const facts = `${op.code} · ${op.school} · ${fill(messages.people, { students: op.students, teachers: op.teachers })} · ${wita(op.happened_at)}`
        const item = element('li', { 'data-op-id': op.id, 'data-state': op.state, class: `gate-op gate-op-${op.state}` })
        item.append(element('span', { class: 'gate-op-facts' }, facts), element('strong', { class: 'gate-op-state' }, STATE_LABELS[op.state] || op.state))
        if (op.message) item.append(element('span', { class: 'gate-op-message' }, op.message))
        return item
      }),
    )
  }

  async function forgetOldOps() {
    const db = await openDb()
    const tx = db.transaction('ops', 'readwrite')
    const ops = await done(tx.objectStore('ops').getAll())
    ops.filter((op) => !waiting(op) && Date.now() - (op.synced_at || 0) > KEEP_DONE_MS).forEach((op) => tx.objectStore('ops').delete(op.id))
    return finished(tx)
  }

  function say(text, kind, link) {
    syncMessage.replaceChildren()
    syncMessage.className = `gate-sync-message${kind ? ` gate-${kind}` : ''}`
    if (!text) return
    syncMessage.append(element('p', {}, text))
    if (link) syncMessage.append(element('p', {}, element('a', { class: 'button', href: link, id: 'gate-log-in' }, messages.log_in)))
  }

  const askToLogIn = () => say(messages.log_in_again, 'error', root.dataset.loginUrl)

  async function send(ops) {
    let response
    try {
      response = await fetch(root.dataset.syncUrl, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { ...JSON_HEADERS, 'Content-Type': 'application/json', 'X-CSRFToken': token },
        body: JSON.stringify({
          operations: ops.map((op) => ({ id: op.id, action: op.action, booking_id: op.booking_id, students: op.students, teachers: op.teachers, happened_at: op.happened_at })),
        }),
      })
    } catch {
      showConnection(false)
      return say(messages.not_sent, 'error')
    }
    let answer = null
    try {
      answer = await response.json()
    } catch {
      answer = null
    }
    if (response.status === 401 || (response.status === 400 && answer && answer.error === 'csrf_failed')) return askToLogIn()
    if (!response.ok || !answer || !Array.isArray(answer.results)) return say(messages.server_problem, 'error')
    const byId = new Map(ops.map((op) => [op.id, op]))
    let applied = 0
    let refused = 0
    for (const outcome of answer.results) {
      const op = byId.get(outcome.id)
      if (!op) continue
      op.state = outcome.status in STATE_LABELS ? outcome.status : 'refused'
      op.message = outcome.message || ''
      op.synced_at = Date.now()
      if (op.state === 'applied' || op.state === 'already_applied') applied += 1
      if (op.state === 'refused' || op.state === 'invalid') refused += 1
      await write('ops', op)
    }
    say(fill(messages.sent, { applied, refused }), refused ? 'error' : 'ok')
  }

  /* Refresh the lists, send what waits, refresh again: the device then shows the server's truth. */
  function sync() {
    if (!syncing) {
      syncing = (async () => {
        try {
          const state = await refreshLists()
          if (state === 'login') return askToLogIn()
          showConnection(state === 'ok')
          const ops = (await getAll('ops')).filter(waiting)
          if (state !== 'ok') return ops.length ? say(messages.not_sent, 'error') : undefined
          if (!ops.length) return undefined
          say(messages.sending)
          await send(ops)
          await refreshLists()
          const panel = document.getElementById('checkin-booking')
          if (panel && panel.dataset.offline) {
            const booking = await bookingById(Number(panel.dataset.bookingId))
            if (booking) await showBooking(booking)
          }
          return undefined
        } finally {
          syncing = null
          await showQueue()
          root.dataset.sync = 'idle'
        }
      })()
      root.dataset.sync = 'busy'
    }
    return syncing
  }

  // --- the page on the device -----------------------------------------------------------------------

  async function keepPage() {
    if (!('serviceWorker' in navigator)) return
    try {
      await navigator.serviceWorker.register(root.dataset.workerUrl, { scope: root.dataset.scope })
      const registration = await navigator.serviceWorker.ready
      const scanner = document.getElementById('checkin-scanner')
      const urls = [
        root.dataset.scope,
        ...[...document.querySelectorAll('link[rel=stylesheet], link[rel=icon], script[src]')].map((node) => node.href || node.src),
        ...performance.getEntriesByType('resource').map((entry) => entry.name),
        // The QR decoder is loaded only when scanning: kept too, so the camera works offline.
        ...(scanner ? [scanner.dataset.detectorUrl, scanner.dataset.wasmUrl] : []),
      ]
      const channel = new MessageChannel()
      const kept = new Promise((resolve) => {
        channel.port1.onmessage = (event) => resolve(event.data)
      })
      registration.active.postMessage({ type: 'keep', urls: [...new Set(urls)] }, [channel.port2])
      await kept
      root.dataset.offlineReady = 'true'
    } catch {
      root.dataset.offlineReady = 'false' // the page still works online, and from IndexedDB
    }
  }

  /* The header's log-out: nothing waiting, it goes as it is; otherwise send first, and ask. */
  function guardLogOut() {
    const form = [...document.querySelectorAll('form[method=post]')].find((node) => new URL(node.action, window.location.href).pathname === root.dataset.logoutUrl)
    if (!form) return
    form.addEventListener('submit', async (event) => {
      if (unsent === 0) return
      event.preventDefault()
      await sync()
      if (unsent > 0 && !window.confirm(fill(messages.log_out_pending, { count: unsent }))) return
      form.submit()
    })
  }

  window.koinGateOffline = { lookUp, sync }

  async function start() {
    root.hidden = false
    showConnection(navigator.onLine)
    try {
      await openDb()
    } catch {
      root.hidden = true // no IndexedDB: the page works online as before
      return
    }
    await forgetOtherAccounts()
    await forgetOldOps()
    await showLists()
    await showQueue()
    syncButton.addEventListener('click', sync)
    guardLogOut()
    window.addEventListener('online', sync)
    window.addEventListener('offline', () => showConnection(false))
    keepPage()
    await sync()
    // Opened offline with a code in the address: the worker served the plain page.
    const code = new URLSearchParams(window.location.search).get('code')
    if (code && !document.getElementById('checkin-booking') && root.dataset.connection === 'offline') lookUp(code)
    root.dataset.ready = 'true'
  }

  start()
})()
