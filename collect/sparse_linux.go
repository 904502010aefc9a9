package collect

import (
	"errors"
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// sparseExtents returns the data ranges of the regular file f, of size
// bytes, when it is sparse enough to matter: its holes (per SEEK_DATA and
// SEEK_HOLE) add up to sparseMinHoles or more. ok is false for a file to
// be read whole (not sparse, or a file system that cannot tell).
func sparseExtents(f *os.File, fi fs.FileInfo, size int64) (ext []extent, ok bool) {
	st, isStat := fi.Sys().(*syscall.Stat_t)
	if !isStat || size-st.Blocks*512 < sparseMinHoles {
		return nil, false // few or no unallocated blocks: read it whole
	}
	var data int64
	for off := int64(0); off < size; {
		start, err := f.Seek(off, unix.SEEK_DATA)
		if err != nil {
			if errors.Is(err, syscall.ENXIO) {
				break // a hole up to the end
			}
			return nil, false // SEEK_DATA unsupported: read it whole
		}
		if start >= size {
			break
		}
		end, err := f.Seek(start, unix.SEEK_HOLE)
		if err != nil || end <= start {
			return nil, false
		}
		end = min(end, size)
		ext = append(ext, extent{Off: start, Len: end - start})
		data += end - start
		off = end
	}
	if _, err := f.Seek(0, 0); err != nil {
		return nil, false
	}
	if size-data < sparseMinHoles {
		return nil, false // compressed, not sparse: the blocks hold data
	}
	return ext, true
}
