"""The first page of a PDF as a PNG, rendered in a child process of its own.

pdfium is a big C parser that cannot be interrupted: ``processing._process_pdf`` runs this file
with ``python -I pdf_render.py SOURCE TARGET SIDE`` so that the job's timeout holds and a crash
on a hostile file cannot take the worker down. It imports only the standard library and
pypdfium2 (which brings Pillow), never the app, and answers with one JSON line on stdout:
``{"pages", "width", "height", "version"}`` or ``{"error", "detail"}``.
"""

from __future__ import annotations

import json
import math
import sys


def render(source: str, target: str, side: int) -> dict:
    """Render page 1 of ``source`` into ``target`` (PNG), scaled to fit ``side`` x ``side``."""
    try:
        import pypdfium2 as pdfium  # optional: a machine without it refuses PDFs, it does not crash
    except ImportError:
        return {"error": "unsupported", "detail": "pypdfium2 is not installed"}
    try:
        pdf = pdfium.PdfDocument(source)
    except pdfium.PdfiumError as exc:
        locked = exc.err_code == pdfium.raw.FPDF_ERR_PASSWORD
        return {"error": "unsupported" if locked else "corrupt", "detail": f"pdfium cannot open the PDF: {exc}"}
    try:
        pages = len(pdf)
        if pages < 1:
            return {"error": "corrupt", "detail": "the PDF has no pages"}
        width, height = pdf[0].get_size()
        if not (math.isfinite(width) and math.isfinite(height)) or min(width, height) <= 0:
            return {"error": "corrupt", "detail": f"the first page is {width}x{height} pt"}
        # The scale bounds the bitmap to side x side, whatever size the page claims.
        bitmap = pdf[0].render(scale=side / max(width, height), may_draw_forms=False)
        bitmap.to_pil().convert("RGB").save(target, "PNG", compress_level=1)
        return {"pages": pages, "width": width, "height": height, "version": pdf.get_version()}
    except pdfium.PdfiumError as exc:
        return {"error": "corrupt", "detail": f"pdfium cannot render the first page: {exc}"}
    finally:
        pdf.close()


def main(argv: list[str]) -> int:
    source, target, side = argv
    print(json.dumps(render(source, target, int(side))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
