package httpapi

import (
	"net/http"

	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/httpapi/api"
)

func (s *Server) listNamespaces(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	if err := decodeBody(r, &struct{}{}); err != nil {
		return err
	}
	nss, err := s.db.ListNamespaces(r.Context(), c)
	if err != nil {
		return err
	}
	out := make([]api.Namespace, 0, len(nss))
	for i := range nss {
		out = append(out, namespaceViewOf(&nss[i]))
	}
	writeJSON(w, out)
	return nil
}

func (s *Server) createNamespace(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	var body struct {
		Namespace string  `json:"namespace"`
		KeyName   *string `json:"key_name"`
		Key       *string `json:"key"`
	}
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	if (body.KeyName == nil) != (body.Key == nil) {
		return badRequest("key_name and key come together")
	}
	ns, err := s.db.CreateNamespace(r.Context(), c, body.Namespace)
	if err != nil {
		return err
	}
	if body.Key != nil {
		if err := s.db.SetKey(r.Context(), c, ns.Name, *body.KeyName, []byte(*body.Key)); err != nil {
			return err
		}
		if ns, err = s.db.GetNamespace(r.Context(), c, ns.Name); err != nil {
			return err
		}
	}
	writeJSON(w, namespaceViewOf(&ns))
	return nil
}

func (s *Server) getNamespace(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	ns, err := s.db.GetNamespace(r.Context(), c, r.PathValue("ns"))
	if err != nil {
		return err
	}
	writeJSON(w, namespaceViewOf(&ns))
	return nil
}

func (s *Server) deleteNamespace(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	if err := decodeBody(r, &struct{}{}); err != nil {
		return err
	}
	if err := s.db.DeleteNamespace(r.Context(), c, r.PathValue("ns")); err != nil {
		return err
	}
	writeJSON(w, nil)
	return nil
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	ns, err := s.db.GetNamespace(r.Context(), c, r.PathValue("ns"))
	if err != nil {
		return err
	}
	writeJSON(w, ns.KeyNames())
	return nil
}

// addKey is POST /auth/namespaces/{ns}/keys {"key_name", "key"}. Without a
// key the server generates one and returns it, once.
func (s *Server) addKey(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	var body struct {
		KeyName string  `json:"key_name"`
		Key     *string `json:"key"`
	}
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	ns := r.PathValue("ns")
	if body.Key == nil {
		secret := catalog.GenerateKey()
		if err := s.db.SetKey(r.Context(), c, ns, body.KeyName, []byte(secret)); err != nil {
			return err
		}
		writeJSON(w, map[string]string{"key_name": body.KeyName, "key": secret})
		return nil
	}
	if err := s.db.SetKey(r.Context(), c, ns, body.KeyName, []byte(*body.Key)); err != nil {
		return err
	}
	writeJSON(w, body.KeyName)
	return nil
}

func (s *Server) updateKey(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	var body struct {
		Key     string  `json:"key"`
		KeyName *string `json:"key_name"`
	}
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	ns, key := r.PathValue("ns"), r.PathValue("key")
	if key == "" && body.KeyName != nil {
		key = *body.KeyName
	}
	n, err := s.db.GetNamespace(r.Context(), c, ns)
	if err != nil {
		return err
	}
	if _, ok := n.Keys[key]; !ok {
		return errorf(http.StatusNotFound, codeNotFound, "key does not exist")
	}
	if err := s.db.SetKey(r.Context(), c, ns, key, []byte(body.Key)); err != nil {
		return err
	}
	writeJSON(w, key)
	return nil
}

func (s *Server) deleteKey(w http.ResponseWriter, r *http.Request, c catalog.Caller) error {
	if err := s.db.DeleteKey(r.Context(), c, r.PathValue("ns"), r.PathValue("key")); err != nil {
		return err
	}
	writeJSON(w, nil)
	return nil
}
