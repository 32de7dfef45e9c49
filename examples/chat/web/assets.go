package web

import "embed"

// assets is the page: HTML, CSS and JavaScript, served as they are (no
// build step).
//
//go:embed static
var assets embed.FS
