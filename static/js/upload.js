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
 * Loaded as a plain script after static/vendor/uppy/uppy.min.js (global `Uppy`); no inline
 * script or style is used, so the page's CSP (script-src 'self'; style-src 'self') holds.
 */
;(() => {
  'use strict'

  const root = document.getElementById('uploader')
  if (!root || !window.Uppy || !window.Uppy.Uppy) return

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
  const options = {
    community: parse(data.communities, []),
    regency: parse(data.regencies, []),
    venue: parse(data.venues, []),
    license: parse(data.licenses, []),
  }
  const endpoint = (data.endpoint || '/uploads/s3/multipart').replace(/\/+$/, '')
  const csrfMeta = document.querySelector('meta[name="csrf-token"]')
  const csrfToken = csrfMeta ? csrfMeta.content : ''
  const label = (name, fallback) => labels[name] || fallback || name

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

  const META_FIELDS = ['title', 'description', 'tags', 'community', 'regency', 'venue', 'license', 'credit', 'consent']

  function metadataOf(file) {
    const meta = {}
    for (const name of META_FIELDS) {
      const value = file.meta[name]
      meta[name] = value == null ? '' : String(value)
    }
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

  // --- Uppy -------------------------------------------------------------------------------

  const limits = Object.values(maxBytes).filter((n) => typeof n === 'number' && n > 0)
  const locale = data.locale === 'id' && locales && locales.id_ID ? locales.id_ID : undefined
  const defaultMeta = {
    title: '',
    description: '',
    tags: '',
    community: data.defaultCommunity || '',
    regency: '',
    venue: '',
    license: '',
    credit: '',
    consent: '',
  }

  const uppy = new Uppy({
    id: 'koin-uploader',
    autoProceed: false,
    allowMultipleUploadBatches: true,
    locale,
    meta: defaultMeta,
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
    return `${value >= 10 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`
  }

  function selectField(id, choices) {
    return {
      id,
      name: label(id),
      render({ value, onChange, form }, h) {
        return h(
          'select',
          {
            id: `uppy-Dashboard-FileCard-input-${id}`,
            class: 'uppy-u-reset uppy-c-textInput uppy-Dashboard-FileCard-input koin-select',
            form,
            value: value || '',
            onChange: (ev) => onChange(ev.target.value),
          },
          choices.map(([optionValue, optionLabel]) =>
            h('option', { value: optionValue, selected: optionValue === (value || '') }, optionLabel),
          ),
        )
      },
    }
  }

  const metaFields = [
    { id: 'title', name: label('title'), placeholder: '' },
    {
      id: 'description',
      name: label('description'),
      render({ value, onChange, form }, h) {
        return h('textarea', {
          id: 'uppy-Dashboard-FileCard-input-description',
          class: 'uppy-u-reset uppy-c-textInput uppy-Dashboard-FileCard-input koin-textarea',
          form,
          rows: 3,
          value: value || '',
          onInput: (ev) => onChange(ev.target.value),
        })
      },
    },
    { id: 'tags', name: label('tags'), placeholder: 'lombok, tenun, pantai' },
    selectField('community', options.community),
    selectField('regency', options.regency),
    selectField('venue', options.venue),
    selectField('license', options.license),
    { id: 'credit', name: label('credit'), placeholder: '' },
    {
      id: 'consent',
      name: label('consent'),
      render({ value, onChange, form }, h) {
        return h('input', {
          id: 'uppy-Dashboard-FileCard-input-consent',
          class: 'koin-checkbox',
          type: 'checkbox',
          form,
          checked: value === 'true',
          onChange: (ev) => onChange(ev.target.checked ? 'true' : ''),
        })
      },
    },
  ]

  uppy.use(Dashboard, {
    inline: true,
    target: root,
    width: '100%',
    height: 480,
    metaFields,
    showProgressDetails: true,
    proudlyDisplayPoweredByUppy: false,
    hideRetryButton: false,
    hidePauseResumeButton: false,
    fileManagerSelectionType: 'files',
  })

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
      const body = { parts: parts.map(({ PartNumber, ETag }) => ({ PartNumber, ETag })) }
      return withRetries(() => api('POST', uploadUrl(uploadId, key, '/complete'), body, signal), signal)
    },

    async abortMultipartUpload(file, { uploadId, key, signal }) {
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
            showResult(file, 'resumed', label('resumed'))
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

  // --- results under the Dashboard -----------------------------------------------------------

  const results = document.createElement('ul')
  results.className = 'upload-results'
  results.setAttribute('aria-live', 'polite')
  root.insertAdjacentElement('afterend', results)
  const rows = new Map()

  function showResult(file, state, message, link) {
    let row = rows.get(file.id)
    if (!row) {
      row = document.createElement('li')
      rows.set(file.id, row)
      results.appendChild(row)
    }
    row.className = `upload-result upload-result-${state}`
    row.dataset.file = file.name
    row.dataset.state = state
    row.replaceChildren()
    const name = document.createElement('strong')
    name.className = 'upload-result-name'
    name.textContent = file.name
    const text = document.createElement('span')
    text.className = 'upload-result-message'
    text.textContent = message
    row.append(name, ' ', text)
    if (link) {
      const a = document.createElement('a')
      a.className = 'upload-result-link'
      a.href = link
      a.textContent = label('edit')
      row.append(' ', a)
    }
  }

  function editUrl(assetId) {
    const template = data.editUrl || ''
    return template.replace(/\/0\/edit$/, `/${encodeURIComponent(assetId)}/edit`)
  }

  uppy.on('upload-success', (file, response) => {
    const body = (response && response.body) || {}
    const hasAsset = body.asset_id != null
    showResult(file, 'done', label('done'), hasAsset ? editUrl(body.asset_id) : null)
    if (hasAsset) rows.get(file.id).dataset.assetId = String(body.asset_id)
  })

  uppy.on('upload-error', (file, error) => {
    if (!file) return
    const message = (error && error.message) || ''
    const refused = error && error.code === 'file_refused'
    showResult(file, refused ? 'refused' : 'error', refused ? `${label('refused')}: ${message}` : message)
  })

  uppy.on('file-removed', (file) => {
    const row = rows.get(file.id)
    if (row) row.remove()
    rows.delete(file.id)
  })
})()
