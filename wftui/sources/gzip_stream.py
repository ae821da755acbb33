"""A gzip file's decompressed bytes, read in order (zlib, member after member).

`gzip.GzipFile` drops what the read that meets the damage had decompressed: on a file
cut short (a log being compressed when the machine went down) or corrupt in the
middle, the lines of up to a whole read before the damage were lost, and `check`
counted a thousand executions fewer than the file holds. Here what comes before the
damage is returned first, and the error is raised at the next read. The rest is what
`GzipFile` does: members one after another (`cat a.gz b.gz`), zero bytes padding the
end skipped, each member's CRC and size checked by zlib; anything else after a member
is an error. Reads go through `os.pread` at its own position: the descriptor's own
position (another reader's) is never moved.
"""

from __future__ import annotations

import os
import zlib

READ_BYTES = 1 << 16  # compressed bytes fed to zlib at a time
TRUNCATED = "Compressed file ended before the end-of-stream marker was reached"


class GzipStream:
    """Decompressed bytes of the gzip file open at `fd`, from its start."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._position = 0  # of the next compressed bytes to read
        self._input = b""  # compressed bytes read, not yet taken by zlib
        self._inflater = zlib.decompressobj(wbits=31)
        self._in_member = False  # some of the current member was fed
        self._error: BaseException | None = None  # raised at the next read
        self._ended = False

    def read(self, size: int) -> bytes:
        """Up to `size` bytes (b"" at the end); raises the damage once what came
        before it was returned."""
        if self._error is not None:
            error, self._error = self._error, None
            self._ended = True
            raise error
        out: list[bytes] = []
        have = 0
        while have < size and not self._ended:
            try:
                piece = self._next(size - have)
            except (zlib.error, EOFError) as error:
                if not out:
                    self._ended = True
                    raise
                self._error = error  # said at the next read, after these bytes
                break
            if piece:
                out.append(piece)
                have += len(piece)
        return b"".join(out)

    def _next(self, wanted: int) -> bytes:
        """Some decompressed bytes (b"" when only headers or padding were taken)."""
        if not self._input:
            self._input = os.pread(self.fd, READ_BYTES, self._position)
            self._position += len(self._input)
            if not self._input:
                if self._in_member:
                    raise EOFError(TRUNCATED)
                self._ended = True
                return b""
        if not self._in_member:
            # Between members: zero bytes may pad the end of the file.
            self._input = self._input.lstrip(b"\0")
            if not self._input:
                return b""
            self._in_member = True
        piece = self._inflater.decompress(self._input, wanted)
        self._input = self._inflater.unconsumed_tail
        if self._inflater.eof:  # this member ended (its CRC and size were checked)
            # What follows it is in unused_data (unconsumed_tail may hold it too).
            self._input = self._inflater.unused_data
            self._inflater = zlib.decompressobj(wbits=31)
            self._in_member = False
        return piece

    def close(self) -> None:
        """Nothing to release: the descriptor is its owner's."""
        self._input = b""
        self._ended = True
