// A rate limiter that counts requests per client. Its limits table is declared but
// never made, so the first write to it panics.
package main

import (
	"fmt"
	"time"
)

type limiter struct {
	perMinute int
	counts    map[string]int // nil: newLimiter forgets make(map[string]int)
}

func newLimiter(perMinute int) *limiter {
	return &limiter{perMinute: perMinute}
}

func (l *limiter) allow(client string) bool {
	l.counts[client]++ // assignment to entry in nil map
	return l.counts[client] <= l.perMinute
}

func main() {
	fmt.Println("ratelimiter 2.1.0 starting, 120 requests/minute per client")
	l := newLimiter(120)
	for _, client := range []string{"10.0.0.7", "10.0.0.9"} {
		fmt.Printf("%s %s allowed=%v\n", time.Now().Format(time.RFC3339), client, l.allow(client))
	}
}
