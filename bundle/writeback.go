package bundle

import "os"

// writeBackEvery is how much written data starts the kernel writing it to
// the device: when a bundle is sealed, its fsync then waits only for the
// last few MiB, not for all the bundle's dirty pages (seconds on a USB
// stick), and the host's page cache holds less of hozen's output.
const writeBackEvery = 8 << 20

// writeBack passes writes to f and, every writeBackEvery bytes, asks the
// kernel to start writing them out, without waiting (Linux; nothing
// elsewhere). The fsync at the seal still decides what is durable.
type writeBack struct {
	f       *os.File
	off     int64 // bytes written
	started int64 // bytes whose write-back was started
}

func (w *writeBack) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.off += int64(n)
	if w.off-w.started >= writeBackEvery {
		startWriteBack(w.f, w.started, w.off-w.started)
		w.started = w.off
	}
	return n, err
}
