package export

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strconv"
	"time"

	"github.com/hozen-dfir/hozen/custody"
	"github.com/hozen-dfir/hozen/manifest"
)

// CASE/UCO
//
// [WriteCASE] and [WriteCASELedger] write JSON-LD for the Cyber-
// investigation Analysis Standard Expression (CASE 1.x, on UCO 1.x;
// caseontology.org), the form case-management systems take provenance
// in:
//
//   - each custody event is a case-investigation:InvestigativeAction:
//     its name is the action (collected, sealed, verified, transferred,
//     ...), performer the actor (a uco-identity:Identity), instrument
//     hozen (a uco-tool:Tool), start and end its time in the ledger, object
//     the bundle file, participant the recipient of a transfer, location
//     where it happened; the outcome of a verification and the reason go
//     in its description;
//   - a bundle is a case-investigation:ProvenanceRecord whose exhibit
//     number is the bundle id and whose objects are the bundle file and
//     (for [WriteCASE]) every artifact;
//   - the bundle file and each artifact are uco-observable:File objects
//     with a FileFacet (name, path, size, times) and a ContentDataFacet
//     holding uco-types:Hash values (SHA256, and MD5/SHA1 when collected)
//     as xsd:hexBinary;
//   - a case-investigation:Investigation per case id gathers them.
//
// Identifiers are IRIs under urn:hozen: built from what names the thing
// (the bundle id and record number, a ledger id and sequence number, a
// digest), so exporting twice gives the same identifiers.

// caseContext is the JSON-LD context: every prefix the documents use.
var caseContext = map[string]string{
	"case-investigation": "https://ontology.caseontology.org/case/investigation/",
	"uco-action":         "https://ontology.unifiedcyberontology.org/uco/action/",
	"uco-core":           "https://ontology.unifiedcyberontology.org/uco/core/",
	"uco-identity":       "https://ontology.unifiedcyberontology.org/uco/identity/",
	"uco-location":       "https://ontology.unifiedcyberontology.org/uco/location/",
	"uco-observable":     "https://ontology.unifiedcyberontology.org/uco/observable/",
	"uco-tool":           "https://ontology.unifiedcyberontology.org/uco/tool/",
	"uco-types":          "https://ontology.unifiedcyberontology.org/uco/types/",
	"uco-vocabulary":     "https://ontology.unifiedcyberontology.org/uco/vocabulary/",
	"xsd":                "http://www.w3.org/2001/XMLSchema#",
	"kb":                 "urn:hozen:",
}

type node = map[string]any

// caseDoc builds a graph of nodes, each @id once.
type caseDoc struct {
	graph []node
	seen  map[string]bool
	// bundleFiles: the bundle files' nodes by SHA-256; provenance: the
	// provenance records by bundle id; cases: the investigations.
	provenance map[string]node
	cases      map[string]node
}

func newCaseDoc() *caseDoc {
	return &caseDoc{seen: map[string]bool{}, provenance: map[string]node{}, cases: map[string]node{}}
}

// add puts n in the graph unless its @id is there; it returns a
// reference to it.
func (d *caseDoc) add(n node) node {
	id := n["@id"].(string)
	if !d.seen[id] {
		d.seen[id] = true
		d.graph = append(d.graph, n)
	}
	return ref(id)
}

func ref(id string) node { return node{"@id": id} }

// key makes text safe and short in an identifier.
func key(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:12])
}

func typed(t, v string) node    { return node{"@type": t, "@value": v} }
func dateTime(t time.Time) node { return typed("xsd:dateTime", t.UTC().Format(time.RFC3339Nano)) }
func integer(n int64) node      { return typed("xsd:integer", strconv.FormatInt(n, 10)) }
func hashNode(id, method, v string) node {
	return node{"@id": id, "@type": "uco-types:Hash",
		"uco-types:hashMethod": typed("uco-vocabulary:HashNameVocab", method),
		"uco-types:hashValue":  typed("xsd:hexBinary", v)}
}

// instrument is hozen, the tool of every action.
func (d *caseDoc) instrument() node {
	n := node{"@id": "kb:tool-hozen", "@type": "uco-tool:Tool", "uco-core:name": "hozen"}
	return d.add(n)
}

func (d *caseDoc) identity(name string) node {
	return d.add(node{"@id": "kb:identity-" + key(name), "@type": "uco-identity:Identity", "uco-core:name": name})
}

func (d *caseDoc) location(name string) node {
	return d.add(node{"@id": "kb:location-" + key(name), "@type": "uco-location:Location", "uco-core:name": name})
}

// bundleFile is the bundle file as an observable, by its SHA-256.
func (d *caseDoc) bundleFile(name, sha string, size int64) node {
	id := "kb:file-sha256-" + sha
	if d.seen[id] {
		return ref(id)
	}
	ff := node{"@id": id + "-file", "@type": "uco-observable:FileFacet"}
	if name != "" {
		ff["uco-observable:fileName"] = name
	}
	cd := node{"@id": id + "-content", "@type": "uco-observable:ContentDataFacet",
		"uco-observable:hash": []node{hashNode(id+"-sha256", "SHA256", sha)}}
	if size > 0 {
		ff["uco-observable:sizeInBytes"] = integer(size)
		cd["uco-observable:sizeInBytes"] = integer(size)
	}
	return d.add(node{"@id": id, "@type": "uco-observable:File", "uco-core:hasFacet": []node{ff, cd}})
}

// provenanceRecord is the bundle's record, created on first use.
func (d *caseDoc) provenanceRecord(bundleID, caseID string) node {
	if p := d.provenance[bundleID]; p != nil {
		return p
	}
	p := node{"@id": "kb:provenance-" + key(bundleID), "@type": "case-investigation:ProvenanceRecord",
		"case-investigation:exhibitNumber": bundleID,
		"uco-core:description":             "hozen bundle " + bundleID,
		"uco-core:object":                  []node{}}
	d.provenance[bundleID] = p
	d.add(p)
	d.inCase(caseID, ref(p["@id"].(string)))
	return p
}

// inCase adds obj to the investigation of caseID.
func (d *caseDoc) inCase(caseID string, obj node) {
	inv := d.cases[caseID]
	if inv == nil {
		inv = node{"@id": "kb:investigation-" + key(caseID), "@type": "case-investigation:Investigation",
			"uco-core:name": caseID, "uco-core:object": []node{}}
		d.cases[caseID] = inv
		d.add(inv)
	}
	inv["uco-core:object"] = append(inv["uco-core:object"].([]node), obj)
}

func addObject(n node, obj node) {
	objs := n["uco-core:object"].([]node)
	for _, o := range objs {
		if o["@id"] == obj["@id"] {
			return
		}
	}
	n["uco-core:object"] = append(objs, obj)
}

// event adds a custody event as an InvestigativeAction.
func (d *caseDoc) event(e *custody.Event) {
	a := node{"@id": fmt.Sprintf("kb:action-%s-%d", key(e.Ledger), e.Seq), "@type": "case-investigation:InvestigativeAction",
		"uco-core:name":         string(e.Action),
		"uco-action:startTime":  dateTime(e.At),
		"uco-action:endTime":    dateTime(e.At),
		"uco-action:instrument": d.instrument(),
	}
	if e.Actor != "" {
		a["uco-action:performer"] = d.identity(e.Actor)
	}
	if e.Recipient != "" {
		a["uco-action:participant"] = []node{d.identity(e.Recipient)}
	}
	if e.Location != "" {
		a["uco-action:location"] = []node{d.location(e.Location)}
	}
	desc := fmt.Sprintf("%s (ledger %s, event %d, hash %s)", e.Action, e.Ledger, e.Seq, e.Hash)
	if e.Outcome != "" {
		desc += "; outcome: " + e.Outcome
	}
	if e.Reason != "" {
		desc += "; reason: " + e.Reason
	}
	if e.Host != "" {
		desc += "; on host " + e.Host
	}
	a["uco-core:description"] = desc
	var objs []node
	if e.BundleSHA256 != "" {
		objs = append(objs, d.bundleFile(e.BundleFile, e.BundleSHA256, 0))
	}
	if e.BundleID != "" {
		p := d.provenanceRecord(e.BundleID, e.CaseID)
		if e.BundleSHA256 != "" {
			addObject(p, objs[0])
		}
		if e.Action == custody.ActionSealed || e.Action == custody.ActionCollected {
			a["uco-action:result"] = []node{ref(p["@id"].(string))}
		}
	}
	if len(objs) > 0 {
		a["uco-action:object"] = objs
	}
	d.add(a)
	if e.CaseID != "" {
		d.inCase(e.CaseID, ref(a["@id"].(string)))
	}
}

// artifact adds a record of a file as a File object.
func (d *caseDoc) artifact(bundleID string, r *manifest.Record) node {
	id := fmt.Sprintf("kb:artifact-%s-%d", key(bundleID), r.Seq)
	p := string(r.Path)
	ff := node{"@id": id + "-file", "@type": "uco-observable:FileFacet",
		"uco-observable:fileName": path.Base(p), "uco-observable:filePath": string(r.Source)}
	var facets []node
	if f := r.File; f != nil {
		if !f.Mtime.IsZero() {
			ff["uco-observable:modifiedTime"] = dateTime(f.Mtime)
		}
		if f.Atime != nil {
			ff["uco-observable:accessedTime"] = dateTime(*f.Atime)
		}
		if f.Ctime != nil {
			ff["uco-observable:metadataChangeTime"] = dateTime(*f.Ctime)
		}
		if f.Btime != nil {
			ff["uco-observable:observableCreatedTime"] = dateTime(*f.Btime)
		}
		ff["uco-observable:sizeInBytes"] = integer(f.Size)
	}
	facets = append(facets, ff)
	if r.Entry == manifest.EntryFile {
		hashes := []node{hashNode(id+"-sha256", "SHA256", r.SHA256)}
		if r.MD5 != "" {
			hashes = append(hashes, hashNode(id+"-md5", "MD5", r.MD5))
		}
		if r.SHA1 != "" {
			hashes = append(hashes, hashNode(id+"-sha1", "SHA1", r.SHA1))
		}
		facets = append(facets, node{"@id": id + "-content", "@type": "uco-observable:ContentDataFacet",
			"uco-observable:sizeInBytes": integer(r.Size), "uco-observable:hash": hashes})
	}
	return d.add(node{"@id": id, "@type": "uco-observable:File", "uco-core:name": p, "uco-core:hasFacet": facets})
}

func (d *caseDoc) write(w io.Writer, comment string) error {
	doc := node{"@context": caseContext, "@graph": d.graph}
	if comment != "" {
		doc["rdfs:comment"] = comment
		ctx := map[string]string{"rdfs": "http://www.w3.org/2000/01/rdf-schema#"}
		for k, v := range caseContext {
			ctx[k] = v
		}
		doc["@context"] = ctx
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

// WriteCASE writes b as CASE/UCO JSON-LD to w: its provenance record,
// its artifacts, and its custody trail when b.Custody is set (see
// "CASE/UCO").
func WriteCASE(w io.Writer, b *Bundle) error {
	d := newCaseDoc()
	h := b.Header
	p := d.provenanceRecord(h.BundleID, h.CaseID)
	p["uco-core:name"] = b.Name
	if b.Result.FileSHA256 != "" {
		addObject(p, d.bundleFile(b.Name, b.Result.FileSHA256, b.Result.FileSize))
	}
	for i := range b.Records {
		r := &b.Records[i]
		if r.Entry != manifest.EntryFile && r.Entry != manifest.EntrySymlink {
			continue
		}
		addObject(p, d.artifact(h.BundleID, r))
	}
	if b.Custody != nil {
		for i := range b.Custody.Events {
			d.event(&b.Custody.Events[i])
		}
	}
	comment := fmt.Sprintf("hozen export of %s (bundle %s, case %s)%s: %s", b.Name, h.BundleID, h.CaseID, toolNote(b), b.Result.Status())
	if b.Incomplete {
		comment += fmt.Sprintf("; INCOMPLETE: only the %d records that verified before its cut", b.Result.Records)
	}
	if c := b.Custody; c != nil && c.VerifyErr != nil {
		comment += "; the custody ledger does not verify, its events may be false: " + c.VerifyErr.Error()
	}
	return d.write(w, comment)
}

// WriteCASELedger writes a custody ledger's events as CASE/UCO JSON-LD
// to w: an InvestigativeAction per event, a ProvenanceRecord per bundle,
// an Investigation per case. verifyErr (nil when the ledger verified) is
// said in the document's comment.
func WriteCASELedger(w io.Writer, ledger, head string, events []custody.Event, verifyErr error) error {
	d := newCaseDoc()
	for i := range events {
		d.event(&events[i])
	}
	comment := fmt.Sprintf("hozen custody ledger %s", ledger)
	if head != "" {
		comment += ", checkpoint " + head
	}
	if verifyErr != nil {
		comment += "; the ledger does not verify, its events may be false: " + verifyErr.Error()
	}
	return d.write(w, comment)
}
