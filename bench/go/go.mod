module rawrt/bench/go

go 1.19
