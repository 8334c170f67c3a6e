// Package ingest loads what is new in a Source into a Store: it lists the objects, skips those the manifest
// already has, decodes the rest in parallel and commits them in batches, reporting every problem by file.
package ingest
