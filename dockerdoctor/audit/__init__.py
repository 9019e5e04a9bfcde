"""`doctor image`: audit an image's configuration, history and layers.

run.py: engine (inspect, history, export stream) -> scan.py (the layers' files,
streamed) -> rules.py (findings, pure) -> redaction -> report/image.py. relevant.py picks
the few image facts that explain a container's failure, for `doctor inspect` (it imports
nothing of the audit: a diagnosis does not pay for it).
"""
