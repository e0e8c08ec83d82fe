package web

// showsDrafts reports whether a page shows a draft post: the post itself, or
// a list or archive entry. Such a page exists only on a server previewing
// drafts (serve -drafts), and search engines must not index it.
func (d pageData) showsDrafts() bool {
	if d.Post != nil && d.Post.Post != nil && d.Post.Post.Draft {
		return true
	}
	if d.List != nil {
		for _, it := range d.List.Items {
			if it.Post.Draft {
				return true
			}
		}
	}
	for _, m := range d.Archive {
		for _, p := range m.Posts {
			if p.Draft {
				return true
			}
		}
	}
	return false
}
