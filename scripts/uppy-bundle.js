// Entry of the Uppy bundle built by scripts/vendor.mjs into static/vendor/uppy/uppy.min.js.
// Only what static/js/upload.js uses, exposed as the global `Uppy` (like Uppy's CDN bundle).
import AwsS3 from '@uppy/aws-s3'
import Uppy from '@uppy/core'
import Dashboard from '@uppy/dashboard'
import id_ID from '@uppy/locales/lib/id_ID.js'

globalThis.Uppy = { Uppy, Core: Uppy, Dashboard, AwsS3, locales: { id_ID } }
