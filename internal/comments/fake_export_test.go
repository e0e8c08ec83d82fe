package comments

// NewMemStore gives the package's external tests the in-memory fake.
func NewMemStore() Store { return newMemStore() }
