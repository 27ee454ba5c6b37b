package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/lenetcl/lenetcl/net"
)

// progressBar draws one self-overwriting line on a terminal, and nothing
// elsewhere, so logs keep only the epoch lines.
type progressBar struct {
	w     io.Writer
	tty   bool
	drawn bool
}

func newProgressBar(f *os.File) *progressBar {
	st, err := f.Stat()
	return &progressBar{w: f, tty: err == nil && st.Mode()&os.ModeCharDevice != 0}
}

func (b *progressBar) update(p net.Progress, epochs int) {
	if !b.tty {
		return
	}
	const width = 30
	frac := float64(p.Done) / float64(p.Total)
	fill := int(frac * width)
	rate := float64(p.Done) / p.Elapsed.Seconds()
	eta := time.Duration(float64(p.Total-p.Done) / rate * float64(time.Second)).Round(time.Second)
	fmt.Fprintf(b.w, "\r\033[Kepoch %d/%d [%s%s] %3.0f%% %d/%d  %.0f images/s  ETA %s  loss %.4f  error %.2f%%",
		p.Epoch, epochs, strings.Repeat("=", fill), strings.Repeat(" ", width-fill), 100*frac,
		p.Done, p.Total, rate, eta, p.Loss/float64(p.Done), 100*p.Errors/float64(p.Done))
	b.drawn = true
}

// clear erases the bar so a report line can take its place.
func (b *progressBar) clear() {
	if b.drawn {
		fmt.Fprint(b.w, "\r\033[K")
		b.drawn = false
	}
}
