module github.com/pairpad/pairpad

go 1.26
