// Builds the front-end vendor files from node_modules (installed by `npm ci` from the pinned
// package-lock.json) into static/vendor/, which is not committed. Run by `make frontend`
// as `npm run --silent vendor`.
//
//   static/vendor/uppy/uppy.min.js   Uppy core, Dashboard, AWS S3 (multipart) and the
//                                    Indonesian locale, as one IIFE exposing `window.Uppy`
//   static/vendor/uppy/uppy.min.css  the styles of Uppy core and the Dashboard
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { build } from 'esbuild'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const out = path.join(root, 'static', 'vendor', 'uppy')
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
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
