"""An image worker whose native extension dereferences a bad pointer."""
import ctypes

print("resize worker 0.7: loading native codec", flush=True)
print("processing upload 8f3a2c.jpg (4032x3024)", flush=True)
# stands in for a buggy C extension: reads memory at address 0 -> SIGSEGV
ctypes.string_at(0)
print("done", flush=True)
