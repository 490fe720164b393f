// The distribution v3 registry with only the filesystem and in-memory storage drivers: upstream's cmd/registry/main.go
// also links the S3, Azure and GCS drivers and the CloudFront middleware, which the e2e suite never uses and which
// are most of its cold build. Built by e2e/tools/node.sh in a wrapper module requiring
// github.com/distribution/distribution/v3 at the pinned version.
package main

import (
	"github.com/distribution/distribution/v3/registry"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory"
)

func main() {
	// like upstream: RootCmd's commands exit non-zero themselves on failure
	_ = registry.RootCmd.Execute()
}
