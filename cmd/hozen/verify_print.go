package main

import (
	"fmt"
	"io"
	"strings"
)

func printVerify(a *app, r *verifyReport, trusted bool) {
	w := a.stdout
	switch r.Outcome {
	case "encrypted":
		a.errorf("%s", r.Reason)
		a.hintf("only the investigator's private key reads it (the responder never holds one); see docs/usb.md")
		return
	case "error":
		if strings.HasPrefix(r.Reason, r.Bundle) {
			a.errorf("%s", r.Reason)
		} else {
			a.errorf("%s: %s", r.Bundle, r.Reason)
		}
		// An identity or a temporary directory: the error says what to do.
		if r.Hint != "" {
			a.hintf("%s", r.Hint)
		} else if !strings.Contains(r.Reason, "identit") && !strings.Contains(r.Reason, "set TMPDIR") {
			a.hintf("check the path; a bundle is a .tar.zst or .tar.zst.age (or .partial) file that 'hozen collect' wrote")
		}
		return
	case "cannot-decrypt":
		a.errorf("%s", r.Reason)
		return
	case "not-a-bundle":
		if strings.HasPrefix(r.Reason, r.Bundle) {
			a.errorf("%s", r.Reason)
		} else {
			a.errorf("%s: %s", r.Bundle, r.Reason)
		}
		a.hintf("a bundle is a .tar.zst or .tar.zst.age (or .partial) file that 'hozen collect' wrote; this file holds none")
		return
	case "intact":
		fmt.Fprintf(w, "%s: intact\n", r.Bundle)
	default:
		fmt.Fprintf(w, "%s: %s: %s\n", r.Bundle, r.Outcome, r.Reason)
	}
	if r.BundleID != "" {
		fmt.Fprintf(w, "  bundle %s  case %q  host %q  examiner %q\n", r.BundleID, r.CaseID, r.Host, r.Examiner)
	}
	fmt.Fprintf(w, "  records verified %d (artifacts %d, not ok %d), %s of data\n", r.Records, r.Counts.Artifacts, r.Counts.Errors, humanBytes(r.Counts.Bytes))
	if r.Head != "" {
		fmt.Fprintf(w, "  head %s\n", r.Head)
	}
	if r.MerkleRoot != "" {
		fmt.Fprintf(w, "  merkle root %s\n", r.MerkleRoot)
	}
	if r.SHA256 != "" {
		if r.Encrypted {
			fmt.Fprintf(w, "  file sha256 %s (as stored, encrypted)\n", r.SHA256)
		} else {
			fmt.Fprintf(w, "  file sha256 %s\n", r.SHA256)
		}
	}
	if r.Encrypted {
		fmt.Fprintf(w, "  encrypted (age) to %s\n", strings.Join(r.Recipients, ", "))
		if r.StreamSHA256 != "" {
			fmt.Fprintf(w, "  decrypted .tar.zst sha256 %s\n", r.StreamSHA256)
		}
	}
	if s := r.Stored; s != nil {
		fmt.Fprintf(w, "  stored at %s version %s, retention %s, legal hold %s\n", s.Endpoint, orNone(s.VersionID), s.Retention, onOff(s.LegalHold))
	}
	printSigner(w, r, trusted)
	printFaults(w, r)
	if !trusted && r.Outcome == "intact" {
		who := "no signer"
		if r.Signer != "" {
			who = "signer " + r.Signer
		}
		a.warnf("%s is only consistent with itself (%s): anyone could build a consistent bundle; give --pubkey or --allowed-signers to check who sealed it", r.Bundle, who)
	}
	if r.Ledger != nil {
		printTrail(a, r.Ledger)
		fmt.Fprintf(w, "  recorded as ledger event %d\n", r.Ledger.Event)
		switch {
		case r.Ledger.Cut:
			a.hintf("look for %s (sha256 %s), the bundle as sealed; 'hozen extract' still recovers the records before the cut from this copy", r.Ledger.Sealed.BundleFile, r.Ledger.Sealed.BundleSHA256)
		case !r.Ledger.Known && r.Outcome == "intact" && r.Ledger.Sealed != nil:
			a.errorf("%s: the ledger %s sealed this bundle as another file: %s", r.Bundle, r.Ledger.Ledger, r.Ledger.Reason)
			a.hintf("a bundle the ledger does not know may have been replaced; check the ledger the responder's stick carried ('hozen custody import' folds it in)")
		case !r.Ledger.Known && r.Outcome == "intact":
			a.errorf("%s: the ledger %s has no record of sealing this bundle: %s", r.Bundle, r.Ledger.Ledger, r.Ledger.Reason)
			a.hintf("a bundle the ledger does not know may have been replaced; check the ledger the responder's stick carried ('hozen custody import' folds it in)")
		}
	}
	if r.Outcome == "incomplete" && strings.HasPrefix(r.Reason, "no seal") {
		a.hintf("every record before the cut verified; 'hozen extract' recovers them")
	}
}

// printSigner prints the signature line: what was checked and found, or
// why it was not checked.
func printSigner(w io.Writer, r *verifyReport, trusted bool) {
	switch {
	case r.Signature == "not checked" && r.Signer == "" && r.BundleID == "":
		fmt.Fprintf(w, "  signer: not checked: %s\n", r.SignatureNote)
	case r.Signature == "not checked" && r.Signer == "":
		fmt.Fprintf(w, "  signer: none named in bundle.json; signature not checked: %s\n", r.SignatureNote)
	case r.Signature == "not checked":
		fmt.Fprintf(w, "  signer: %s, signature not checked: %s\n", r.Signer, r.SignatureNote)
	case r.Signer == "":
		fmt.Fprintf(w, "  signer: none (unsigned bundle)\n")
	case r.Trusted:
		fmt.Fprintf(w, "  signer: %s, signature good, trusted (principal %s)\n", r.Signer, r.Principal)
	case r.Signed && trusted:
		fmt.Fprintf(w, "  signer: %s, signature good, but the key is not among the trusted ones\n", r.Signer)
	case r.Signed:
		fmt.Fprintf(w, "  signer: %s, signature good, key not checked against a trusted one\n", r.Signer)
	default:
		fmt.Fprintf(w, "  signer: %s, signature bad or missing (see the faults)\n", r.Signer)
	}
}

// printFaults lists what verify found wrong, one line each.
func printFaults(w io.Writer, r *verifyReport) {
	if len(r.Faults) == 0 {
		return
	}
	n := int64(len(r.Faults)) + r.MoreFaults
	fmt.Fprintf(w, "  faults: %d\n", n)
	for _, f := range r.Faults {
		where := ""
		if f.Seq > 0 {
			where = fmt.Sprintf("record %d ", f.Seq)
		}
		if f.Path != "" {
			where += f.Path + " "
		}
		fmt.Fprintf(w, "    %s: %s(%s)\n", f.Kind, where, f.Reason)
	}
	if r.MoreFaults > 0 {
		fmt.Fprintf(w, "    ... and %d more faults not listed\n", r.MoreFaults)
	}
}
