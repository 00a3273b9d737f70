package fusefs

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// pfExiting is the kernel's PF_EXITING task flag (include/linux/sched.h):
// the task is in exit(), closing its files.
const pfExiting = 0x4

// processOf returns the thread group (process) of thread id pid, or pid
// itself if /proc does not say.
func processOf(pid uint32) uint32 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return pid
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Tgid:"); ok {
			if n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32); err == nil {
				return uint32(n)
			}
		}
	}
	return pid
}

// exiting reports whether thread pid is dying: its files are being closed
// by exit (a killed cp), not by close(2). If /proc cannot tell, it says
// yes, so that doubt never publishes a half-written file.
func exiting(pid uint32) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// pid (comm) state ppid pgrp session tty_nr tpgid flags ...; comm may
	// contain spaces and parentheses, so count from the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return true
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 7 {
		return true
	}
	if f[0] == "Z" || f[0] == "X" || f[0] == "x" {
		return true
	}
	flags, err := strconv.ParseUint(f[6], 10, 64)
	return err != nil || flags&pfExiting != 0
}
