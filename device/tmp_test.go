package device

import (
	"fmt"
	"testing"
	"time"

	"github.com/lenetcl/lenetcl/net"
)

func TestTmpProfile(t *testing.T) {
	dev := openDevice(t, defaultLocal)
	lenet := net.LeNet5()
	for _, batch := range []int{16, 64, 500} {
		m, _ := net.NewModel(dev, lenet, batch)
		m.SetParams(net.InitParams(lenet, 5))
		images, labels := synthetic(1000, 7)
		set, _ := dev.Upload(images, labels)
		idx := make([]int32, batch)
		for i := range idx {
			idx[i] = int32(i)
		}
		c := net.Criterion{MAP: true, J: 10}
		times := map[string]time.Duration{}
		tm := func(name string, f func()) {
			dev.queue.Finish()
			t0 := time.Now()
			f()
			dev.queue.Finish()
			times[name] += time.Since(t0)
		}
		const reps = 20
		for r := 0; r < reps+1; r++ {
			if r == 1 {
				times = map[string]time.Duration{}
			}
			tm("gather", func() { dev.Gather(set, idx, m.Acts[0], m.Labels) })
			for i := range lenet.Layers {
				l := &lenet.Layers[i]
				p := m.Params
				if l.Kind == net.RBF {
					p = m.Protos
				}
				tm("fwd "+l.Name, func() { net.LayerForward(dev, l, p, m.Acts[i], m.Acts[i+1], batch) })
			}
			last := len(lenet.Layers)
			tm("loss", func() { dev.Loss(c, m.Acts[last], m.Labels, m.Derivs[last], m.Stats, 1, batch) })
			tm("rbfback", func() {
				dev.RBFBackward(lenet.Output(), m.Protos, m.Acts[last-1], m.Derivs[last], m.Derivs[last-1], batch)
			})
			for i := last - 2; i >= 0; i-- {
				l := &lenet.Layers[i]
				tm("bwd "+l.Name, func() {
					net.LayerBackward(dev, l, net.Gradient, m.Params, m.Acts[i], m.Acts[i+1], m.Derivs[i+1], m.Derivs[i], m.Grads, batch)
				})
			}
			tm("update", func() { dev.Update(net.Step{Params: m.Params, Grads: m.Grads, Curv: m.Curv, LR: 1e-6, Mu: 0.02}) })
		}
		var tot time.Duration
		for _, v := range times {
			tot += v
		}
		s := ""
		for _, k := range []string{"gather", "fwd C1", "fwd S2", "fwd C3", "fwd S4", "fwd C5", "fwd F6", "fwd OUTPUT", "loss", "rbfback", "bwd F6", "bwd C5", "bwd S4", "bwd C3", "bwd S2", "bwd C1", "update"} {
			s += fmt.Sprintf("%s %.0fus; ", k, float64(times[k].Microseconds())/reps)
		}
		t.Logf("batch %d: %.0f images/s\n%s", batch, float64(reps*batch)/tot.Seconds(), s)
	}
	if dev.Err() != nil {
		t.Fatal(dev.Err())
	}
}
