package httpapi

import "net/http"

// routes registers every route. The Shaken Fist-compatible surface comes
// first; the reworked /v1 surface registers itself in routesV1.
func (s *Server) routes() {
	m := s.mux
	m.Handle("GET /{$}", s.public(s.handleRoot))
	m.Handle("GET /livez", s.public(s.handleLivez))
	m.Handle("GET /readyz", s.public(s.handleReadyz))
	m.Handle("POST /auth", s.public(s.handleAuth))

	m.Handle("GET /auth/namespaces", s.compat(s.listNamespaces))
	m.Handle("POST /auth/namespaces", s.compat(s.createNamespace))
	m.Handle("GET /auth/namespaces/{ns}", s.compat(s.getNamespace))
	m.Handle("DELETE /auth/namespaces/{ns}", s.compat(s.deleteNamespace))
	m.Handle("GET /auth/namespaces/{ns}/keys", s.compat(s.listKeys))
	m.Handle("POST /auth/namespaces/{ns}/keys", s.compat(s.addKey))
	m.Handle("PUT /auth/namespaces/{ns}/keys/{key}", s.compat(s.updateKey))
	m.Handle("PUT /auth/namespaces/{ns}/keys", s.compat(s.updateKey)) // older clients: key_name in the body
	m.Handle("DELETE /auth/namespaces/{ns}/keys/{key}", s.compat(s.deleteKey))

	m.Handle("GET /blobs", s.compat(s.listBlobs))
	m.Handle("GET /blobs/{uuid}", s.compat(s.getBlob))
	m.Handle("GET /blobs/{uuid}/data", s.compat(s.getBlobData))
	m.Handle("GET /blobs/{uuid}/checksum/{alg}", s.compat(s.getBlobChecksum))
	m.Handle("GET /blob_checksums/{alg}/{hash}", s.compat(s.findBlobByChecksum))
	m.Handle("GET /blobs/{uuid}/events", s.compat(s.blobEvents))
	blobMeta := s.blobMetadata()
	m.Handle("GET /blobs/{uuid}/metadata", s.compat(s.getMetadata(blobMeta)))
	m.Handle("POST /blobs/{uuid}/metadata", s.compat(s.postMetadata(blobMeta)))
	m.Handle("PUT /blobs/{uuid}/metadata/{key}", s.compat(s.putMetadata(blobMeta)))
	m.Handle("DELETE /blobs/{uuid}/metadata/{key}", s.compat(s.deleteMetadata(blobMeta)))

	m.Handle("GET /artifacts", s.compat(s.listArtifacts))
	m.Handle("POST /artifacts", s.compat(s.cacheArtifact))
	m.Handle("DELETE /artifacts", s.compat(s.deleteAllArtifacts))
	m.Handle("GET /artifacts/{ref}", s.compat(s.getArtifact))
	m.Handle("DELETE /artifacts/{ref}", s.compat(s.deleteArtifact))
	m.Handle("GET /artifacts/{ref}/versions", s.compat(s.getArtifactVersions))
	m.Handle("DELETE /artifacts/{ref}/versions/{index}", s.compat(s.deleteArtifactVersion))
	m.Handle("GET /artifacts/{ref}/events", s.compat(s.artifactEvents))
	artMeta := s.artifactMetadata()
	m.Handle("GET /artifacts/{ref}/metadata", s.compat(s.getMetadata(artMeta)))
	m.Handle("PUT /artifacts/{ref}/metadata/{key}", s.compat(s.putMetadata(artMeta)))
	m.Handle("DELETE /artifacts/{ref}/metadata/{key}", s.compat(s.deleteMetadata(artMeta)))
	// POST /artifacts/upload/{name} and POST /artifacts/{ref}/<action> overlap
	// (an artifact named "upload"); one handler tells them apart, with
	// "upload" meaning the upload route as in Shaken Fist.
	m.Handle("POST /artifacts/{ref}/{action}", s.compat(s.postArtifactAction))

	m.Handle("GET /label/{name}", s.compat(s.getLabel))
	m.Handle("POST /label/{name}", s.compat(s.updateLabel))
	m.Handle("DELETE /label/{name}", s.compat(s.deleteLabel))
	m.Handle("GET /label/{ns}/{name}", s.compat(s.getLabel))
	m.Handle("POST /label/{ns}/{name}", s.compat(s.updateLabel))
	m.Handle("DELETE /label/{ns}/{name}", s.compat(s.deleteLabel))

	m.Handle("POST /upload", s.compat(s.createUpload))
	m.Handle("GET /upload/{uuid}", s.compat(s.getUpload))
	m.Handle("POST /upload/{uuid}", s.compat(s.sendUpload))
	m.Handle("DELETE /upload/{uuid}", s.compat(s.deleteUpload))
	m.Handle("POST /upload/{uuid}/truncate/{offset}", s.compat(s.truncateUpload))

	s.routesV1()

	m.Handle("/", s.public(func(w http.ResponseWriter, r *http.Request) error {
		return errorf(http.StatusNotFound, codeNotFound, "no route for "+r.Method+" "+clip(r.URL.Path))
	}))
}
