package report

import (
	"encoding/json"
	"testing"
)

// TestProcTableSkips: the process table the report reads keeps what it
// shows and leaves open files, environments, thread ids and namespaces
// undecoded, though the fixture has them (with bytes that are not UTF-8
// and JSON-looking text in the strings).
func TestProcTableSkips(t *testing.T) {
	raw, err := json.Marshal(fixtureProcesses())
	if err != nil {
		t.Fatal(err)
	}
	var pt procTable
	if err := json.Unmarshal(raw, &pt); err != nil {
		t.Fatal(err)
	}
	want := fixtureProcesses().Processes
	if len(pt.Processes) != len(want) || pt.ProcessTable.Processes != nil {
		t.Fatalf("%d processes (want %d); embedded list %v", len(pt.Processes), len(want), pt.ProcessTable.Processes)
	}
	skipped := 0
	for i, p := range pt.Processes {
		w := want[i]
		if p.PID != w.PID || p.Name != w.Name || p.Exe != w.Exe || len(p.Argv) != len(w.Argv) {
			t.Errorf("process %d read as %+v", w.PID, p.Process)
		}
		if q := p.Process; q.FDs != nil || q.Environ != nil || q.TIDs != nil || q.Namespaces != nil {
			t.Errorf("process %d: skipped fields were decoded: %d fds, %d environ, %d tids, %d namespaces",
				w.PID, len(q.FDs), len(q.Environ), len(q.TIDs), len(q.Namespaces))
		}
		if len(w.FDs) > 0 && len(w.Environ) > 0 && len(w.TIDs) > 0 && len(w.Namespaces) > 0 {
			skipped++
		}
	}
	if skipped == 0 {
		t.Fatal("the fixture has no process with all four skipped fields")
	}
	// Read past whatever it holds: values of a shape artifact.Process could
	// not take are no error, and nothing of them is kept.
	odd := []byte(`{"processes":[{"pid":7,"name":"x","fds":{"a":[1,{"b":null}]},"environ":"s","tids":false,"namespaces":[1,2]}]}`)
	var ot procTable
	if err := json.Unmarshal(odd, &ot); err != nil || len(ot.Processes) != 1 || ot.Processes[0].PID != 7 || ot.Processes[0].Process.FDs != nil {
		t.Errorf("odd skipped values: %v, %+v", err, ot.Processes)
	}
}
