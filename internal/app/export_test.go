package app

// Get is get (mail_test.go) for the external test package.
var Get = get
