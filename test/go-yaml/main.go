// The YAML 1.1 reader kubectl and the Kubernetes provider use (go-yaml v2, under sigs.k8s.io/yaml),
// as a judge for tests: reads a JSON array of YAML documents on stdin, writes a JSON array of
// what go-yaml made of each ({"!error": ...} when it refused one). Keys that go-yaml did not
// read as strings come back marked, so a key resolved as a bool or a number shows up.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"gopkg.in/yaml.v2"
)

func conv(v interface{}) interface{} {
	switch t := v.(type) {
	case map[interface{}]interface{}:
		m := map[string]interface{}{}
		for k, val := range t {
			ks, ok := k.(string)
			if !ok {
				ks = fmt.Sprintf("!non-string key %T %v", k, k)
			}
			m[ks] = conv(val)
		}
		return m
	case []interface{}:
		for i := range t {
			t[i] = conv(t[i])
		}
		return t
	}
	return v
}

func main() {
	in, _ := io.ReadAll(os.Stdin)
	var docs []string
	if err := json.Unmarshal(in, &docs); err != nil {
		panic(err)
	}
	out := make([]interface{}, len(docs))
	for i, d := range docs {
		var v interface{}
		if err := yaml.Unmarshal([]byte(d), &v); err != nil {
			out[i] = map[string]string{"!error": err.Error()}
		} else {
			out[i] = conv(v)
		}
	}
	json.NewEncoder(os.Stdout).Encode(out)
}
