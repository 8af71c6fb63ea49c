/* The gate's QR scanner (templates/booking/checkin.html): read the code on a school's
 * confirmation with the phone's rear camera, or from a photo of it, look the booking up
 * (booking.checkin_lookup, JSON) and show its panel: who is coming, when, and whether the group
 * can be checked in now, before any button is pressed. The panel and its forms are the page's
 * own (rendered by the server), so checking in posts the same form as without JavaScript.
 *
 * QR codes are read by the browser's BarcodeDetector where it has one that knows QR codes
 * (Android, macOS), else by the barcode-detector ponyfill (ZXing in WebAssembly), vendored by
 * scripts/vendor.mjs and loaded from our own origin only when needed; the page's CSP allows
 * that WebAssembly ('wasm-unsafe-eval') and the camera (Permissions-Policy) on this page alone.
 *
 * Typing the code always works; with JavaScript it does the same look-up in place.
 */
;(() => {
  'use strict'

  const root = document.getElementById('checkin-scanner')
  const form = document.getElementById('checkin-lookup')
  const result = document.getElementById('checkin-result')
  if (!root || !form || !result) return

  const codeInput = form.querySelector('input[name=code]')
  const cameraButton = document.getElementById('scan-camera')
  const photoButton = document.getElementById('scan-photo-button')
  const photoInput = document.getElementById('scan-photo')
  const view = document.getElementById('scanner-view')
  const video = document.getElementById('scanner-video')
  const stopButton = document.getElementById('scan-stop')
  const messageBox = document.getElementById('scan-message')
  const messages = JSON.parse(root.dataset.messages)
  // Tries per second on the camera picture: quick enough at a gate, light on a phone's battery.
  const SCAN_INTERVAL_MS = 150
  // Photos from phone cameras are 12 MP or more; ZXing finds a QR code in less.
  const PHOTO_MAX_SIDE = 2000

  let detectorPromise = null
  let camera = null // { stream, active } while the camera is open

  const say = (text, kind) => {
    messageBox.textContent = text || ''
    messageBox.className = 'scan-message' + (kind ? ` scan-${kind}` : '')
  }

  const loadScript = (src) =>
    new Promise((resolve, reject) => {
      const script = document.createElement('script')
      script.src = src
      script.onload = resolve
      script.onerror = () => reject(new Error(`could not load ${src}`))
      document.head.appendChild(script)
    })

  async function nativeDetector() {
    if (!('BarcodeDetector' in window)) return null
    try {
      const formats = await window.BarcodeDetector.getSupportedFormats()
      return formats.includes('qr_code') ? new window.BarcodeDetector({ formats: ['qr_code'] }) : null
    } catch {
      return null
    }
  }

  async function zxingDetector() {
    await loadScript(root.dataset.detectorUrl)
    const api = window.BarcodeDetectionAPI
    // The decoder comes from our static files, never from the package's default CDN (the
    // gate may have no internet, and the CSP allows only this site).
    await api.prepareZXingModule({
      overrides: {
        locateFile: (path, prefix) => (path.endsWith('.wasm') ? root.dataset.wasmUrl : prefix + path),
      },
      fireImmediately: true,
    })
    return new api.BarcodeDetector({ formats: ['qr_code'] })
  }

  function getDetector() {
    if (!detectorPromise) {
      detectorPromise = (async () => {
        const native = await nativeDetector()
        root.dataset.detector = native ? 'native' : 'zxing'
        return native || zxingDetector()
      })()
      detectorPromise.catch(() => {
        detectorPromise = null // a failed download may work on the next try
      })
    }
    return detectorPromise
  }

  const firstCode = (found) => (found.find((code) => code.rawValue) || {}).rawValue

  // --- showing what a code names ---------------------------------------------------------

  function clearFieldError() {
    form.querySelectorAll('.error').forEach((node) => node.remove())
    form.querySelectorAll('.has-error').forEach((node) => node.classList.remove('has-error'))
    codeInput.setAttribute('aria-invalid', 'false')
    codeInput.removeAttribute('aria-describedby')
  }

  function showBooking(answer) {
    result.innerHTML = answer.html
    codeInput.value = answer.display
    say('')
    const heading = result.querySelector('h2')
    if (heading) {
      heading.scrollIntoView({ block: 'start' })
      heading.focus({ preventScroll: true })
    }
  }

  async function lookUp(text) {
    clearFieldError()
    say(messages.looking_up)
    let response
    let answer = null
    try {
      const url = `${root.dataset.lookupUrl}?code=${encodeURIComponent(text)}`
      response = await fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      answer = await response.json()
    } catch {
      if (!response) {
        // No connection: the day's bookings kept on this device answer (checkin_offline.js).
        if (window.koinGateOffline && (await window.koinGateOffline.lookUp(text))) {
          codeInput.value = text.slice(0, 500)
          say('')
          return
        }
        say(messages.lookup_failed, 'error')
        return
      }
    }
    if (response.ok && answer && typeof answer.html === 'string') {
      showBooking(answer)
    } else if ((response.status === 404 || response.status === 422) && answer && answer.message) {
      result.innerHTML = ''
      codeInput.value = text.slice(0, 500)
      say(answer.message, 'error')
    } else {
      // Signed out meanwhile, or something unexpected: the page's own look-up knows what to
      // do (it sends someone who is signed out to log in and back).
      codeInput.value = text.slice(0, 500)
      form.submit()
    }
  }

  // --- the camera -----------------------------------------------------------------------------

  function stopCamera() {
    if (!camera) return
    camera.active = false
    camera.stream.getTracks().forEach((track) => track.stop())
    camera = null
    video.srcObject = null
    view.hidden = true
    cameraButton.hidden = false
    root.dataset.camera = 'off'
  }

  function cameraProblem(error) {
    const name = error && error.name
    if (name === 'NotAllowedError' || name === 'SecurityError') return messages.refused
    if (name === 'NotFoundError' || name === 'OverconstrainedError') return messages.no_camera
    return messages.unavailable
  }

  const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

  async function scan(session, detector) {
    while (session.active) {
      if (video.readyState >= video.HAVE_CURRENT_DATA && video.videoWidth) {
        let text
        try {
          text = firstCode(await detector.detect(video))
        } catch {
          text = null // a frame that could not be read: take the next one
        }
        if (text && session.active) {
          stopCamera()
          await lookUp(text)
          return
        }
      }
      await pause(SCAN_INTERVAL_MS)
    }
  }

  async function startCamera() {
    clearFieldError()
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      // Browsers offer the camera only on https (or this machine): the photo still works.
      say(messages.unavailable, 'error')
      codeInput.focus()
      return
    }
    say(messages.starting)
    cameraButton.hidden = true
    const detecting = getDetector()
    let stream
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: { ideal: 'environment' }, width: { ideal: 1280 }, height: { ideal: 720 } },
        audio: false,
      })
    } catch (error) {
      cameraButton.hidden = false
      say(cameraProblem(error), 'error')
      codeInput.focus()
      return
    }
    let detector
    try {
      detector = await detecting
    } catch {
      stream.getTracks().forEach((track) => track.stop())
      cameraButton.hidden = false
      say(messages.no_decoder, 'error')
      codeInput.focus()
      return
    }
    if (document.hidden) {
      stream.getTracks().forEach((track) => track.stop())
      cameraButton.hidden = false
      say('')
      return
    }
    const session = { stream, active: true }
    camera = session
    video.srcObject = stream
    view.hidden = false
    root.dataset.camera = 'on'
    say(messages.scanning)
    try {
      await video.play()
    } catch {
      // autoplay of a muted, inline video is allowed; a refusal still shows the first frame
    }
    if (!session.active) return // closed while the picture was starting
    view.scrollIntoView({ block: 'nearest' })
    scan(session, detector)
  }

  // --- a photo ------------------------------------------------------------------------------

  async function photoImage(file) {
    const bitmap = await createImageBitmap(file)
    const scale = Math.min(1, PHOTO_MAX_SIDE / Math.max(bitmap.width, bitmap.height))
    if (scale === 1) return bitmap
    const canvas = document.createElement('canvas')
    canvas.width = Math.round(bitmap.width * scale)
    canvas.height = Math.round(bitmap.height * scale)
    canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height)
    bitmap.close()
    return canvas
  }

  async function scanPhoto(file) {
    clearFieldError()
    stopCamera()
    say(messages.reading_photo)
    let detector
    try {
      detector = await getDetector()
    } catch {
      say(messages.no_decoder, 'error')
      codeInput.focus()
      return
    }
    let text = null
    try {
      const image = await photoImage(file)
      text = firstCode(await detector.detect(image))
      if (image.close) image.close()
    } catch {
      text = null // not an image the browser can read
    }
    if (text) {
      await lookUp(text)
    } else {
      say(messages.no_code_in_photo, 'error')
    }
  }

  // --- wiring -----------------------------------------------------------------------------------

  cameraButton.addEventListener('click', startCamera)
  stopButton.addEventListener('click', () => {
    stopCamera()
    say('')
    cameraButton.focus()
  })
  photoButton.addEventListener('click', () => photoInput.click())
  photoInput.addEventListener('change', () => {
    const file = photoInput.files && photoInput.files[0]
    photoInput.value = '' // the same photo again is a new try
    if (file) scanPhoto(file)
  })
  form.addEventListener('submit', (event) => {
    const text = codeInput.value.trim()
    if (!text) return // the page itself says that the code is missing
    event.preventDefault()
    lookUp(text)
  })
  // A camera left on in a hidden tab or a closed page is a camera someone else cannot use.
  document.addEventListener('visibilitychange', () => {
    if (document.hidden && camera) {
      stopCamera()
      say('')
    }
  })
  window.addEventListener('pagehide', stopCamera)

  root.hidden = false
  root.dataset.camera = 'off'
})()
