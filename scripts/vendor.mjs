// Builds the front-end vendor files from node_modules (installed by `npm ci` from the pinned
// package-lock.json) into static/vendor/, which is not committed. Run by `make frontend`
// as `npm run --silent vendor`.
//
//   static/vendor/uppy/uppy.min.js   Uppy core, Dashboard, AWS S3 (multipart) and the
//                                    Indonesian locale, as one IIFE exposing `window.Uppy`
//   static/vendor/uppy/uppy.min.css  the styles of Uppy core and the Dashboard
//   static/vendor/barcode-detector/barcode-detector.min.js
//                                    the BarcodeDetector ponyfill (ZXing in WebAssembly) for
//                                    browsers without a native one, exposing
//                                    `window.BarcodeDetectionAPI` (static/js/checkin.js)
//   static/vendor/barcode-detector/zxing_reader.wasm
//                                    its decoder, served from our origin: the page tells the
//                                    ponyfill where it is (prepareZXingModule), never a CDN
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { build } from 'esbuild'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const out = path.join(root, 'static', 'vendor', 'uppy')
const barcodeOut = path.join(root, 'static', 'vendor', 'barcode-detector')
const require = createRequire(path.join(root, 'package.json'))

const styles = ['@uppy/core/css/style.min.css', '@uppy/dashboard/css/style.min.css']

async function main() {
  await rm(out, { recursive: true, force: true })
  await mkdir(out, { recursive: true })

  await build({
    entryPoints: [path.join(root, 'scripts', 'uppy-bundle.js')],
    outfile: path.join(out, 'uppy.min.js'),
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['es2020'],
    platform: 'browser',
    legalComments: 'eof',
    logLevel: 'warning',
    define: { 'process.env.NODE_ENV': '"production"' },
  })

  const css = await Promise.all(
    styles.map(async (name) => `/* ${name} */\n${(await readFile(require.resolve(name), 'utf8')).trim()}\n`),
  )
  // Drop the sourceMappingURL comments: the maps are not copied.
  const text = css.join('').replace(/\/\*# sourceMappingURL=[^*]*\*\/\n?/g, '')
  await writeFile(path.join(out, 'uppy.min.css'), text)

  await vendorBarcodeDetector()
}

async function vendorBarcodeDetector() {
  await rm(barcodeOut, { recursive: true, force: true })
  await mkdir(barcodeOut, { recursive: true })
  // Bundled from the package's ES build rather than copied from its prebuilt IIFE, so that the
  // WebAssembly loader in the bundle and the .wasm copied below come from the same zxing-wasm
  // (they must match exactly). `import.meta.url` is only the loader's default .wasm location,
  // which checkin.js replaces with ours.
  await build({
    stdin: {
      contents: "export { BarcodeDetector, prepareZXingModule } from 'barcode-detector/ponyfill'",
      resolveDir: root,
      sourcefile: 'barcode-detector-entry.js',
    },
    outfile: path.join(barcodeOut, 'barcode-detector.min.js'),
    bundle: true,
    minify: true,
    format: 'iife',
    globalName: 'BarcodeDetectionAPI',
    target: ['es2020'],
    platform: 'browser',
    legalComments: 'eof',
    logLevel: 'warning',
    define: { 'import.meta.url': 'document.baseURI' },
  })
  // zxing-wasm is barcode-detector's dependency: resolve it from there, as npm placed it.
  const fromDetector = createRequire(require.resolve('barcode-detector'))
  const wasm = fromDetector.resolve('zxing-wasm/reader/zxing_reader.wasm')
  await copyFile(wasm, path.join(barcodeOut, 'zxing_reader.wasm'))
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
