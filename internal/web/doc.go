// Package web serves trailq's web UI: a JSON API over the store and the embedded pages that use it.
package web
