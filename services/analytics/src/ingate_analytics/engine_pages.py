"""The embedded engine's code pages, handed back to the kernel once the database is open.

Loading chDB touches about 180 MB of its 555 MB library (ClickHouse registers every
function, format and engine at start), and those pages stay mapped, counted in the
service's resident memory, although the drain runs a small part of that code. They are
pure file content: a mapping that is not writable and holds no private dirty page
(nothing relocated, nothing copied on write) is exactly the file's bytes, so dropping it
with madvise(MADV_DONTNEED) loses nothing; what runs again is read back from the page
cache, or the file, on demand. Writable mappings and any mapping with a modified page are
left alone. Only on Linux (/proc/self/smaps); elsewhere this does nothing.
"""

import ctypes
import importlib.util
import mmap
from dataclasses import dataclass
from pathlib import Path
from typing import Final

_SMAPS: Final = Path("/proc/self/smaps")
_KIB: Final = 1024


@dataclass(frozen=True)
class Mapping:
    start: int
    end: int
    writable: bool
    path: str
    fields: dict[str, int]

    @property
    def clean_file_content(self) -> bool:
        return not self.writable and not any(
            self.fields.get(name, 0) for name in ("Private_Dirty", "Anonymous", "Swap")
        )


def release_engine_code() -> int:
    """Drop the resident clean pages of chDB's library from this process; the bytes dropped."""
    folder = _engine_folder()
    if folder is None or not _SMAPS.exists():
        return 0
    libc = ctypes.CDLL(None, use_errno=True)
    libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    released = 0
    for mapping in read_mappings(_SMAPS.read_text()):
        if not (mapping.path.startswith(folder) and mapping.clean_file_content):
            continue
        if libc.madvise(mapping.start, mapping.end - mapping.start, mmap.MADV_DONTNEED) == 0:
            released += mapping.fields.get("Rss", 0) * _KIB
    return released


def read_mappings(smaps: str) -> list[Mapping]:
    """The mappings of a /proc/<pid>/smaps text, with their KiB fields."""
    mappings: list[Mapping] = []
    for line in smaps.splitlines():
        head, _, rest = line.partition(" ")
        if "-" in head and not head.endswith(":"):
            parts = rest.split(maxsplit=4)
            start, end = (int(x, 16) for x in head.split("-"))
            path = parts[4] if len(parts) > 4 else ""
            mappings.append(Mapping(start, end, parts[0][1] == "w", path, {}))
        elif mappings and head.endswith(":") and rest.strip().endswith("kB"):
            mappings[-1].fields[head[:-1]] = int(rest.split()[0])
    return mappings


def _engine_folder() -> str | None:
    try:
        spec = importlib.util.find_spec("chdb")
    except ValueError:
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return str(Path(next(iter(spec.submodule_search_locations))).resolve()) + "/"
