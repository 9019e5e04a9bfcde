"""A search indexer whose native library fails an internal assertion and calls abort()."""
import os
import sys

print("indexer 5.0: opening segment store /data/index", flush=True)
print("merging segments 0001..0042", flush=True)
# what a C library prints before abort() when an assert() fails
print("indexer: src/segment.c:218: merge_segments: Assertion `seg->doc_count <= MAX_DOCS' failed.",
      file=sys.stderr, flush=True)
os.abort()
