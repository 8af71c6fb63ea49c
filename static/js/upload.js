/* The creators' uploader: Uppy's Dashboard with the AWS S3 plugin in multipart mode, talking to
 * the app's multipart endpoints (koin_media/assets/upload_routes.py). The same code serves both
 * storage backends: the part URLs the app signs point at the bucket (S3) or back at the app
 * (local directory).
 *
 * Resume is server-assisted. Before a file uploads, a pre-processor asks the app to create its
 * multipart upload, sending the file's size and lastModified. The app fingerprints
 * (name, size, lastModified) and, when the creator adds a file it has already started (after a
 * reload, a crash, another tab), answers with the existing uploadId and key and
 * `resumed: true`. The pre-processor stores them on the file as `s3Multipart`, so the plugin
 * takes its "restore" path: it lists the parts the store already holds (listParts), PUTs only
 * the missing ones, then completes. A brand-new upload takes the same path with an empty part
 * list. Golden Retriever is not needed.
 *
 * The page around it (templates/assets/upload.html) is ours, not Uppy's: the Dashboard only picks
 * files (no file list, no status bar). The creator sets licence, community, regency, venue,
 * credit and consent once for the batch, each file gets its title, description and tags (and
 * any override) in a full-width sheet, and each row says whether its details are complete. The
 * status is counted per file from what the app answered, so one refused file is that file's
 * reason, not a failed batch. The details go with the upload when it is created and again when
 * it completes (the creator types while a large file uploads); the app's answer to complete
 * (`details_complete`) decides whether the row asks to complete the details.
 *
 * Loaded as a plain script after static/vendor/uppy/uppy.min.js (global `Uppy`); no inline
 * script or style is used, so the page's CSP (script-src 'self'; style-src 'self') holds.
 */
;(() => {
  'use strict'

  const app = document.getElementById('upload-app')
  const root = document.getElementById('uploader')
  if (!app || !root || !window.Uppy || !window.Uppy.Uppy) return
  app.hidden = false

  const { Uppy, Dashboard, AwsS3, locales } = window.Uppy
  const data = root.dataset
  const MiB = 1024 * 1024
  // S3's smallest part (all but the last). Small parts lose little on a broken connection.
  // Must not change between page loads, or the stored parts of a resumed upload won't line up.
  const PART_SIZE = 5 * MiB
  const MAX_PARTS = 10000
  const RETRY_DELAYS = [0, 1000, 3000, 5000, 10000]

  // The server decides what a file is (from its bytes); this only picks the size limit and
  // filters the file picker. Mirrors koin_media/media/sniff.py.
  const KIND_BY_EXTENSION = {
    jpg: 'image', jpeg: 'image', jpe: 'image', jfif: 'image', png: 'image', apng: 'image', webp: 'image',
    mp4: 'video', m4v: 'video', mov: 'video', qt: 'video', webm: 'video',
    mp3: 'audio', wav: 'audio', wave: 'audio', m4a: 'audio', m4b: 'audio', aac: 'audio', adts: 'audio',
    pdf: 'document',
  }

  function parse(value, fallback) {
    try {
      const parsed = JSON.parse(value)
      return parsed == null ? fallback : parsed
    } catch {
      return fallback
    }
  }

  const labels = parse(data.labels, {})
  const maxBytes = parse(data.maxBytes, {})
  const endpoint = (data.endpoint || '/uploads/s3/multipart').replace(/\/+$/, '')
  const csrfMeta = document.querySelector('meta[name="csrf-token"]')
  const csrfToken = csrfMeta ? csrfMeta.content : ''
  const label = (name, fallback) => labels[name] || fallback || name
  // A label with its placeholders ({n}, {done}, ...) filled in.
  const fill = (name, values) => label(name).replace(/\{(\w+)\}/g, (all, key) => (key in values ? values[key] : all))
  const counted = (name, n) => fill(n === 1 ? `${name}_one` : `${name}_other`, { n })

  // --- talking to the app ---------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, payload, fallback) {
      super((payload && payload.message) || fallback || `HTTP ${status}`)
      this.name = 'ApiError'
      this.status = status
      this.code = payload && payload.error
      this.payload = payload
      // The S3 plugin reads `source.status` to decide whether a failed request is retried.
      this.source = { status }
    }
  }

  async function api(method, url, body, signal) {
    const headers = { Accept: 'application/json', 'X-CSRFToken': csrfToken }
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    const response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      signal,
    })
    if (response.status === 204) return null
    let payload = null
    try {
      payload = await response.json()
    } catch {
      payload = null
    }
    if (!response.ok) throw new ApiError(response.status, payload, response.statusText)
    return payload
  }

  const retriable = (err) =>
    err && err.name !== 'AbortError' && (err.status == null || err.status >= 500 || err.status === 429)

  async function withRetries(fn, signal) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn()
      } catch (err) {
        if (!retriable(err) || attempt >= RETRY_DELAYS.length - 1 || (signal && signal.aborted)) throw err
        await new Promise((resolve) => setTimeout(resolve, RETRY_DELAYS[attempt + 1]))
      }
    }
  }

  const uploadUrl = (uploadId, key, suffix = '') =>
    `${endpoint}/${encodeURIComponent(uploadId)}${suffix}?key=${encodeURIComponent(key)}`

  const META_FIELDS = ['title', 'description', 'tags', 'community', 'regency', 'venue', 'license', 'credit', 'consent', 'usable_until']

  function metadataOf(file) {
    const meta = {}
    for (const name of META_FIELDS) {
      const value = file.meta[name]
      meta[name] = value == null ? '' : String(value)
    }
    // Into a call for content (/upload?call=<slug>): the app links the asset to it.
    if (data.call) meta.call = data.call
    // (name, size, lastModified) is the fingerprint the app recognises a restarted upload by.
    meta.size = String(file.size)
    const lastModified = file.data && file.data.lastModified
    meta.lastModified = lastModified == null ? '' : String(lastModified)
    return meta
  }

  function createUpload(file, signal) {
    return withRetries(
      () =>
        api(
          'POST',
          endpoint,
          { filename: file.name, type: file.type || '', metadata: metadataOf(file) },
          signal,
        ),
      signal,
    )
  }

  // What each part of `size` bytes should measure with the chunking the plugin applies. The app
  // signs each part URL for exactly this size (koin_media/assets/quota.py): keep the two alike.
  function chunkSize(size) {
    return Math.max(PART_SIZE, Math.ceil(size / MAX_PARTS))
  }

  function expectedPartSize(size, partNumber) {
    const chunk = chunkSize(size)
    if (size <= chunk) return size
    return Math.min(chunk, size - (partNumber - 1) * chunk)
  }

  // --- the details: once for the batch, then per file ----------------------------------------

  // Set once in the batch form; a file keeps the batch's value unless its sheet changed it.
  const BATCH_FIELDS = ['license', 'community', 'regency', 'venue', 'credit', 'consent', 'usable_until']
  const batchBox = document.getElementById('batch-form')
  const sheet = document.getElementById('file-sheet')
  const sheetForm = sheet.querySelector('form')

  function fieldOf(container, prefix, name) {
    return container.querySelector(`[name="${prefix}-${name}"]`)
  }

  function readField(container, prefix, name) {
    const el = fieldOf(container, prefix, name)
    if (!el) return ''
    if (el.type === 'checkbox') return el.checked ? 'true' : ''
    return el.value
  }

  function writeField(container, prefix, name, value) {
    const el = fieldOf(container, prefix, name)
    if (!el) return
    if (el.type === 'checkbox') el.checked = value === 'true'
    else el.value = value == null ? '' : String(value)
  }

  function batchValues() {
    const values = {}
    for (const name of BATCH_FIELDS) values[name] = readField(batchBox, 'batch', name)
    return values
  }

  // The page's guess, for the badge before the upload: the same rule as Asset.details_complete.
  // After the upload the app's answer replaces it.
  // A call's required fields count too (Call.missing_fields).
  const callRequired = parse(data.callRequired, [])
  function detailsComplete(meta) {
    const required = callRequired.every((name) => String(meta[name] || '').trim())
    return Boolean(String(meta.title || '').trim() && meta.license && meta.consent === 'true' && required)
  }

  // --- Uppy: a file picker ---------------------------------------------------------------------

  const limits = Object.values(maxBytes).filter((n) => typeof n === 'number' && n > 0)
  const locale = data.locale === 'id' && locales && locales.id_ID ? locales.id_ID : undefined

  const uppy = new Uppy({
    id: 'koin-uploader',
    autoProceed: false,
    allowMultipleUploadBatches: true,
    locale,
    restrictions: {
      maxFileSize: limits.length ? Math.max(...limits) : null,
      allowedFileTypes: Object.keys(KIND_BY_EXTENSION).map((ext) => `.${ext}`),
    },
    onBeforeFileAdded(file) {
      const extension = (file.name || '').split('.').pop().toLowerCase()
      const kind = KIND_BY_EXTENSION[extension]
      const limit = kind && maxBytes[kind]
      if (limit && file.size != null && file.size > limit) {
        uppy.info(
          uppy.i18n('exceedsSize', { file: file.name, size: formatBytes(limit) }),
          'error',
          6000,
        )
        return false
      }
      return true
    },
  })

  function formatBytes(bytes) {
    const units = ['B', 'KB', 'MB', 'GB', 'TB']
    let value = bytes
    let unit = 0
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024
      unit += 1
    }
    // As the app writes sizes (i18n.format_size): the page's decimal mark, one decimal under 100.
    const digits = unit === 0 || value >= 100 ? 0 : 1
    const text = value.toLocaleString(document.documentElement.lang || undefined, {
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
      useGrouping: false,
    })
    return `${text} ${units[unit]}`
  }

  // Uppy's own file list and status bar count a refused file as "uploading" or fail the whole
  // batch over it: the page lists the files and counts their states itself.
  uppy.use(Dashboard, {
    inline: true,
    target: root,
    width: '100%',
    height: window.matchMedia('(max-width: 40rem)').matches ? 120 : 200,
    showSelectedFiles: false,
    disableStatusBar: true,
    disableThumbnailGenerator: true,
    proudlyDisplayPoweredByUppy: false,
    fileManagerSelectionType: 'files',
  })

  // The sheet of one file is open: its upload completes when the creator closes it, so what
  // they are typing goes with it.
  let sheetFileId = null
  let sheetWaiters = []

  async function sheetClosedFor(fileID) {
    while (sheetFileId === fileID) await new Promise((resolve) => sheetWaiters.push(resolve))
  }

  uppy.use(AwsS3, {
    limit: 4,
    retryDelays: RETRY_DELAYS,
    shouldUseMultipart: () => true,
    getChunkSize: (file) => chunkSize(file.size),

    // Normally not reached: the pre-processor below has already created (or found) the
    // upload and stored it on the file, which sends the plugin down its resume path.
    async createMultipartUpload(file) {
      const result = await createUpload(file)
      return { uploadId: result.uploadId, key: result.key }
    },

    async listParts(file, { uploadId, key, signal }) {
      const parts = await withRetries(() => api('GET', uploadUrl(uploadId, key), undefined, signal), signal)
      // A part stored with another part size (an older version of this page) would not fit
      // the chunks cut now: leave it out, so it is sent again and overwritten.
      return (parts || []).filter(
        (part) => part.Size == null || part.Size === expectedPartSize(file.size, part.PartNumber),
      )
    },

    async signPart(file, { uploadId, key, partNumber, signal }) {
      const { url, expires } = await api('GET', uploadUrl(uploadId, key, `/${partNumber}`), undefined, signal)
      return { method: 'PUT', url, expires }
    },

    async completeMultipartUpload(file, { uploadId, key, parts, signal }) {
      await sheetClosedFor(file.id)
      const latest = uppy.getFile(file.id) || file
      const body = {
        parts: parts.map(({ PartNumber, ETag }) => ({ PartNumber, ETag })),
        metadata: metadataOf(latest),
      }
      return withRetries(() => api('POST', uploadUrl(uploadId, key, '/complete'), body, signal), signal)
    },

    async abortMultipartUpload(file, { uploadId, key, signal }) {
      // A file the app refused has no upload left to abort (it was finished or never made).
      const entry = entries.get(file.id)
      if (entry && entry.state === 'refused') return
      await api('DELETE', uploadUrl(uploadId, key), undefined, signal)
    },
  })

  // Before any byte is sent: create the upload, or find the one this file already started.
  uppy.addPreProcessor(async (fileIDs) => {
    await Promise.all(
      fileIDs.map(async (fileID) => {
        const file = uppy.getFile(fileID)
        if (!file || file.error || file.progress.uploadComplete) return
        uppy.emit('preprocess-progress', file, { mode: 'indeterminate', message: label('preparing', '…') })
        try {
          const result = await createUpload(file)
          uppy.setFileState(fileID, {
            s3Multipart: { ...(file.s3Multipart || {}), uploadId: result.uploadId, key: result.key },
          })
          if (result.resumed) {
            uppy.info(`${file.name}: ${label('resumed')}`, 'info', 5000)
            const entry = entries.get(fileID)
            if (entry) entry.resumed = true
          }
        } catch (err) {
          // Only this file fails; the others go on. Its message is the app's, in the user's language.
          uppy.emit('upload-error', uppy.getFile(fileID), err)
        } finally {
          const latest = uppy.getFile(fileID)
          if (latest) uppy.emit('preprocess-complete', latest)
        }
      }),
    )
  })

  // --- the file list ---------------------------------------------------------------------------

  // One entry per file: waiting -> preparing -> uploading -> done | refused | failed.
  // "refused" and "failed" without a retry are final: the app said no (its reason is shown).
  const entries = new Map()
  const results = document.getElementById('upload-results')
  const ACTIVE = new Set(['preparing', 'uploading'])
  const FINISHED = new Set(['done', 'refused'])

  function element(tag, className, text) {
    const el = document.createElement(tag)
    if (className) el.className = className
    if (text != null) el.textContent = text
    return el
  }

  function button(text, action, className = 'button secondary small') {
    const el = element('button', className, text)
    el.type = 'button'
    el.dataset.action = action
    return el
  }

  function makeRow(file) {
    const row = element('li', 'upload-result')
    row.dataset.file = file.name
    row.dataset.fileId = file.id
    const parts = {
      row,
      thumb: null,
      name: element('strong', 'upload-result-name', file.name),
      size: element('span', 'upload-result-size', file.size != null ? formatBytes(file.size) : ''),
      title: element('span', 'upload-result-title'),
      badge: element('span', 'details-badge'),
      progress: element('progress', 'upload-result-progress'),
      message: element('p', 'upload-result-message'),
      details: button(label('details'), 'details'),
      remove: button(label('remove'), 'remove', 'button secondary small danger'),
      retry: button(label('retry'), 'retry'),
      link: element('a', 'upload-result-link button small', label('edit')),
    }
    parts.progress.max = 100
    parts.progress.value = 0
    if (file.type && file.type.startsWith('image/') && file.data instanceof Blob) {
      parts.thumb = element('img', 'upload-result-thumb')
      parts.thumb.alt = ''
      parts.thumb.src = URL.createObjectURL(file.data)
    }
    const main = element('div', 'upload-result-main')
    const line = element('div', 'upload-result-line')
    line.append(parts.name, parts.size)
    main.append(line, parts.title, parts.badge, parts.progress, parts.message)
    const actions = element('div', 'upload-result-actions')
    actions.append(parts.details, parts.retry, parts.remove, parts.link)
    if (parts.thumb) row.append(parts.thumb)
    row.append(main, actions)
    results.appendChild(row)
    return parts
  }

  function editUrl(assetId) {
    const template = data.editUrl || ''
    return template.replace(/\/0\/edit$/, `/${encodeURIComponent(assetId)}/edit`)
  }

  function renderRow(entry) {
    const file = uppy.getFile(entry.id)
    const meta = (file && file.meta) || entry.meta
    if (file) entry.meta = meta
    const { parts, state } = entry
    parts.row.className = `upload-result upload-result-${state}`
    parts.row.dataset.state = state
    const title = String(meta.title || '').trim()
    parts.title.textContent = title || label('untitled')
    parts.title.classList.toggle('muted', !title)

    // Before the app answered, the page's reading of the details; after, the app's.
    const complete = entry.serverComplete != null ? entry.serverComplete : detailsComplete(meta)
    parts.row.dataset.details = complete ? 'complete' : 'incomplete'
    parts.badge.hidden = state === 'refused'
    parts.badge.className = `details-badge details-badge-${complete ? 'complete' : 'incomplete'}`
    parts.badge.textContent = label(complete ? 'details_complete' : 'needs_details')

    parts.progress.hidden = !ACTIVE.has(state)
    parts.progress.value = entry.percent
    let message = ''
    if (state === 'waiting') message = label('waiting')
    else if (state === 'preparing') message = label('preparing')
    else if (state === 'uploading') message = fill('uploading', { n: entry.percent })
    else if (state === 'done') message = label(complete ? 'done' : 'done_draft')
    else if (state === 'refused') message = `${label(entry.refusedByApp ? 'refused' : 'failed')}: ${entry.error}`
    else if (state === 'failed') message = `${label('failed')}: ${entry.error}`
    if (entry.resumed && ACTIVE.has(state)) message += ` (${label('resumed')})`
    parts.message.textContent = message

    parts.details.hidden = FINISHED.has(state)
    parts.remove.hidden = !(state === 'waiting' || state === 'failed')
    parts.retry.hidden = state !== 'failed'
    parts.link.hidden = !(state === 'done' && !complete && entry.assetId != null)
    if (entry.assetId != null) {
      parts.row.dataset.assetId = String(entry.assetId)
      parts.link.href = editUrl(entry.assetId)
    }
  }

  // --- the bar: honest counts, the upload button, an estimate once there is a rate ----------------

  const summary = document.getElementById('upload-summary')
  const totalBar = document.getElementById('upload-progress')
  const note = document.getElementById('upload-note')
  const startButton = document.getElementById('upload-start')

  // Bytes sent over the last seconds (not since the first byte, when a resumed file's stored
  // parts or one quick part would make the first estimate absurd); no estimate before
  // ETA_MIN_SECONDS of measurement.
  const ETA_WINDOW_MS = 10000
  const ETA_MIN_MS = 3000
  let samples = []

  function sentBytes() {
    let sent = 0
    for (const entry of entries.values()) sent += Math.max(0, entry.bytesUploaded - entry.bytesBaseline)
    return sent
  }

  function estimate() {
    const now = performance.now()
    samples.push([now, sentBytes()])
    samples = samples.filter(([t]) => now - t <= ETA_WINDOW_MS)
    const [t0, b0] = samples[0]
    const [t1, b1] = samples[samples.length - 1]
    if (t1 - t0 < ETA_MIN_MS || b1 <= b0) return null
    let remaining = 0
    for (const entry of entries.values()) {
      if (ACTIVE.has(entry.state)) remaining += Math.max(0, entry.bytesTotal - entry.bytesUploaded)
    }
    return (remaining / (b1 - b0)) * ((t1 - t0) / 1000)
  }

  function etaText(seconds) {
    if (seconds == null) return ''
    if (seconds < 60) return fill('eta_seconds', { n: Math.max(5, Math.ceil(seconds / 5) * 5) })
    return fill('eta_minutes', { n: Math.ceil(seconds / 60) })
  }

  function renderBar() {
    let waiting = 0
    let active = 0
    let done = 0
    let failed = 0
    let drafts = 0
    let bytesTotal = 0
    let bytesUploaded = 0
    for (const entry of entries.values()) {
      if (entry.state === 'waiting') waiting += 1
      if (ACTIVE.has(entry.state)) active += 1
      if (entry.state === 'done') done += 1
      if (entry.state === 'refused' || entry.state === 'failed') failed += 1
      if (!FINISHED.has(entry.state) && !detailsComplete(entry.meta)) drafts += 1
      if (ACTIVE.has(entry.state) || entry.state === 'done') {
        bytesTotal += entry.bytesTotal
        bytesUploaded += entry.state === 'done' ? entry.bytesTotal : entry.bytesUploaded
      }
    }
    const started = active + done + failed
    summary.replaceChildren()
    if (started) {
      summary.append(fill('summary', { done, failed, uploading: active }))
      const eta = active ? etaText(estimate()) : ''
      if (eta) summary.append(element('span', 'upload-eta', ` · ${eta}`))
      if (!active && done) {
        const mine = element('a', 'upload-mine', label('mine'))
        mine.href = data.mineUrl || '#'
        summary.append(' ', mine)
      }
    }
    summary.dataset.done = String(done)
    summary.dataset.failed = String(failed)
    summary.dataset.uploading = String(active)
    if (!active) samples = []
    totalBar.hidden = !active
    totalBar.value = bytesTotal ? Math.floor((bytesUploaded / bytesTotal) * 100) : 0

    note.hidden = drafts === 0
    note.textContent = drafts ? counted('drafts', drafts) : ''
    // With nothing waiting the button picks files: the first thing a phone's first screen
    // offers is the way to add them, not a disabled "upload" (the drop zone is further down).
    startButton.dataset.action = waiting ? 'upload' : 'choose'
    startButton.textContent = waiting ? counted('upload', waiting) : label('choose')
  }

  let frame = null
  function render() {
    if (frame != null) return
    frame = requestAnimationFrame(() => {
      frame = null
      for (const entry of entries.values()) renderRow(entry)
      renderBar()
    })
  }

  // --- events ----------------------------------------------------------------------------------

  batchBox.addEventListener('change', applyBatch)
  batchBox.addEventListener('input', applyBatch)

  // A change of the batch reaches every file not yet finished, except what its sheet overrode.
  function applyBatch() {
    const values = batchValues()
    for (const entry of entries.values()) {
      if (FINISHED.has(entry.state) || !uppy.getFile(entry.id)) continue
      const meta = {}
      for (const name of BATCH_FIELDS) if (!entry.overrides.has(name)) meta[name] = values[name]
      uppy.setFileMeta(entry.id, meta)
    }
    render()
  }

  uppy.on('file-added', (file) => {
    uppy.setFileMeta(file.id, { title: '', description: '', tags: data.callTags || '', ...batchValues() })
    entries.set(file.id, {
      id: file.id,
      parts: makeRow(file),
      meta: uppy.getFile(file.id).meta,
      overrides: new Set(),
      state: 'waiting',
      percent: 0,
      bytesTotal: file.size || 0,
      bytesUploaded: 0,
      bytesBaseline: null,
      error: '',
      refusedByApp: false,
      resumed: false,
      assetId: null,
      serverComplete: null,
    })
    render()
  })

  uppy.on('file-removed', (file) => {
    const entry = entries.get(file.id)
    // A refused file is taken out of Uppy (so "upload" does not send it again); its row stays.
    if (!entry || entry.state === 'refused') return
    if (entry.parts.thumb) URL.revokeObjectURL(entry.parts.thumb.src)
    entry.parts.row.remove()
    entries.delete(file.id)
    render()
  })

  uppy.on('preprocess-progress', (file) => {
    const entry = file && entries.get(file.id)
    if (entry && !FINISHED.has(entry.state)) entry.state = 'preparing'
    render()
  })

  uppy.on('upload-progress', (file, progress) => {
    const entry = file && entries.get(file.id)
    if (!entry || FINISHED.has(entry.state) || entry.state === 'failed') return
    const uploaded = progress.bytesUploaded || 0
    if (entry.bytesBaseline == null) entry.bytesBaseline = uploaded
    entry.state = 'uploading'
    entry.bytesUploaded = uploaded
    if (progress.bytesTotal) entry.bytesTotal = progress.bytesTotal
    entry.percent = entry.bytesTotal ? Math.floor((uploaded / entry.bytesTotal) * 100) : 0
    render()
  })

  uppy.on('upload-success', (file, response) => {
    const entry = file && entries.get(file.id)
    if (!entry) return
    const body = (response && response.body) || {}
    entry.state = 'done'
    entry.percent = 100
    entry.bytesUploaded = entry.bytesTotal
    if (body.asset_id != null) entry.assetId = body.asset_id
    if (typeof body.details_complete === 'boolean') entry.serverComplete = body.details_complete
    // The batch's consent document follows each new asset (static/js/release_upload.js).
    if (entry.assetId != null) document.dispatchEvent(new CustomEvent('koin:asset-uploaded', { detail: { assetId: entry.assetId } }))
    render()
  })

  uppy.on('upload-error', (file, error) => {
    const entry = file && entries.get(file.id)
    if (!entry) return
    entry.error = (error && error.message) || ''
    if (retriable(error)) {
      entry.state = 'failed' // the connection or the server's moment: "Try again" can help
    } else {
      // The app said no, for a reason sending it again will not change.
      entry.state = 'refused'
      entry.refusedByApp = Boolean(error && error.code === 'file_refused')
      if (error && error.payload && error.payload.asset_id != null) entry.assetId = error.payload.asset_id
      setTimeout(() => uppy.removeFile(file.id), 0)
    }
    render()
  })

  uppy.on('upload-retry', (file) => {
    const entry = file && entries.get(typeof file === 'string' ? file : file.id)
    if (entry) {
      entry.state = 'preparing'
      entry.error = ''
    }
    render()
  })

  results.addEventListener('click', (event) => {
    const target = event.target.closest('button[data-action]')
    if (!target) return
    const row = target.closest('li')
    const fileID = row && row.dataset.fileId
    if (!fileID || !entries.has(fileID)) return
    const action = target.dataset.action
    if (action === 'details') openSheet(fileID)
    else if (action === 'remove') uppy.removeFile(fileID)
    else if (action === 'retry') {
      const entry = entries.get(fileID)
      entry.state = 'preparing'
      entry.error = ''
      render()
      uppy.retryUpload(fileID).catch(() => {
        // The error reaches the row through "upload-error".
      })
    }
  })

  startButton.addEventListener('click', () => {
    if (startButton.dataset.action === 'choose') {
      root.querySelector('input.uppy-Dashboard-input[type=file]:not([webkitdirectory])').click()
      return
    }
    uppy.upload().catch(() => {
      // Each file's error reaches its row through "upload-error".
    })
  })

  // --- the sheet of one file -----------------------------------------------------------------

  function openSheet(fileID) {
    const file = uppy.getFile(fileID)
    if (!file) return
    sheetFileId = fileID
    document.getElementById('file-sheet-name').textContent = file.name
    for (const name of ['title', 'description', 'tags', ...BATCH_FIELDS]) {
      writeField(sheetForm, 'file', name, file.meta[name])
    }
    sheet.showModal()
    fieldOf(sheetForm, 'file', 'title').focus()
  }

  sheetForm.addEventListener('submit', (event) => {
    const action = event.submitter ? event.submitter.value : 'save'
    if (action === 'reset') {
      event.preventDefault() // the sheet stays open, the batch's values back in place
      const values = batchValues()
      for (const name of BATCH_FIELDS) writeField(sheetForm, 'file', name, values[name])
      return
    }
    const entry = entries.get(sheetFileId)
    if (action === 'save' && entry && uppy.getFile(entry.id)) {
      const batch = batchValues()
      const meta = {}
      for (const name of ['title', 'description', 'tags', ...BATCH_FIELDS]) {
        meta[name] = readField(sheetForm, 'file', name)
      }
      for (const name of BATCH_FIELDS) {
        if (meta[name] === batch[name]) entry.overrides.delete(name)
        else entry.overrides.add(name)
      }
      uppy.setFileMeta(entry.id, meta)
      render() // now: the dialog's "close" event comes a task later, after it is already hidden
    }
  })

  sheet.addEventListener('close', () => {
    const fileID = sheetFileId
    sheetFileId = null
    const waiters = sheetWaiters
    sheetWaiters = []
    for (const resolve of waiters) resolve()
    render()
    const entry = fileID && entries.get(fileID)
    if (entry && !entry.parts.details.hidden) entry.parts.details.focus()
  })

  render()
})()
