// Empty on purpose: a package with an assembly file may declare functions
// without a body, which is how syscalls.go reaches runtime.nanotime.
