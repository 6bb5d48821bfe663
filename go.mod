module github.com/typeddelete/typeddelete

go 1.26.0

require (
	github.com/DATA-DOG/go-sqlmock v1.5.2
	github.com/Masterminds/squirrel v1.5.4
	github.com/jinzhu/inflection v1.0.0
	github.com/mattn/go-sqlite3 v1.14.53
)

require (
	github.com/lann/builder v0.0.0-20180802200727-47ae307949d0 // indirect
	github.com/lann/ps v0.0.0-20150810152359-62de8c46ede0 // indirect
)
