package manifest

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// BString is a byte string that survives JSON exactly. Host paths are byte
// strings, not text: a name that is not valid UTF-8 would be mangled by a
// plain JSON string (invalid bytes become U+FFFD). A valid UTF-8 value is
// written as a JSON string; any other as {"b64":"..."} (standard base64).
type BString string

// MarshalJSON implements [json.Marshaler].
func (s BString) MarshalJSON() ([]byte, error) {
	if utf8.ValidString(string(s)) {
		return json.Marshal(string(s))
	}
	return json.Marshal(struct {
		B64 string `json:"b64"`
	}{base64.StdEncoding.EncodeToString([]byte(s))})
}

// UnmarshalJSON implements [json.Unmarshaler].
func (s *BString) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = BString(v)
		return nil
	}
	var o struct {
		B64 *string `json:"b64"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return err
	}
	if o.B64 == nil {
		return errors.New("byte string: want a string or {\"b64\":...}")
	}
	v, err := base64.StdEncoding.DecodeString(*o.B64)
	if err != nil {
		return err
	}
	if utf8.Valid(v) {
		return errors.New("byte string: b64 form used for valid UTF-8")
	}
	*s = BString(v)
	return nil
}
