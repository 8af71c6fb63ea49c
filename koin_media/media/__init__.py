"""Media handling for the asset pipeline: type sniffing (``sniff``) and renditions (``processing``).

Pure Python plus ffmpeg/libmediainfo; no Flask, no database."""
