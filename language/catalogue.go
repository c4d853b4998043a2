package language

import "strings"

// quotes are the characters that open a string literal in most languages.
const quotes = "\"'`"

// catalogue is every language, in the order All returns them. It is never modified.
var catalogue = []Language{
	{
		ID: "python", Name: "Python", Extension: ".py",
		// The seed's starter, byte for byte: seed clients compare against it.
		Starter:     "# Write your Python code here\n\n",
		LineComment: "#", Quotes: quotes, Model: "python",
		BlockLine: `^\s*(async\s+)?(def|class|if|elif|else|for|while|with|try|except|finally|match|case)\b.*:$`,
		Rules: []Rule{
			{`(?:^|[^\w.])print\($`, "'Hello, World!')", 0.85},
			{`^\s*(?:else|try|finally)$`, ":", 0.8},
			{`^\s*if\s+__name__\s*==\s*$`, `"__main__":`, 0.9},
		},
	},
	{
		ID: "javascript", Name: "JavaScript", Extension: ".js",
		Starter:     "// Write your JavaScript code here\n\n",
		LineComment: "//", Quotes: quotes, Braces: true, Model: "javascript",
		Keywords: words(jsWords),
		Rules:    []Rule{{`console\.log\($`, "'Hello, World!');", 0.85}},
	},
	{
		ID: "typescript", Name: "TypeScript", Extension: ".ts",
		Starter:     "// Write your TypeScript code here\n\n",
		LineComment: "//", Quotes: quotes, Braces: true, Model: "javascript",
		Keywords: words(jsWords, `interface type enum implements private protected public readonly abstract
			declare namespace keyof infer unknown never any string number boolean void as satisfies`),
		Rules: []Rule{{`console\.log\($`, "'Hello, World!');", 0.85}},
	},
	{
		ID: "go", Name: "Go", Extension: ".go",
		Starter:     "// Write your Go code here\n\n",
		LineComment: "//", Quotes: quotes, Braces: true, TabIndent: true, Model: "go",
		Rules: []Rule{{`fmt\.Println\($`, `"Hello, World!")`, 0.85}},
	},
	{
		ID: "java", Name: "Java", Extension: ".java",
		Starter:     "// Write your Java code here\n\n",
		LineComment: "//", Quotes: quotes, Braces: true,
		Keywords: words(`abstract assert boolean break byte case catch char class continue default do
			double else enum extends final finally float for if implements import instanceof int interface
			long native new package private protected public return short static super switch synchronized
			this throw throws transient try void volatile while true false null var record String System
			println Override ArrayList HashMap List Map Integer Exception RuntimeException`),
		Rules: []Rule{
			{`System\.out\.println\($`, `"Hello, World!");`, 0.85},
			{`^\s*public\s+static\s+void\s+main\($`, "String[] args) {", 0.85},
		},
	},
	{
		ID: "c", Name: "C", Extension: ".c",
		Starter:     "// Write your C code here\n\n",
		LineComment: "//", Quotes: quotes, Braces: true,
		Keywords: words(cWords),
		Rules: []Rule{
			{`(?:^|\W)printf\($`, `"Hello, World!\n");`, 0.85},
			{`^\s*int\s+main\($`, "void) {", 0.8},
		},
	},
	{
		ID: "cpp", Name: "C++", Extension: ".cpp",
		Starter:     "// Write your C++ code here\n\n",
		LineComment: "//", Quotes: quotes, Braces: true,
		Keywords: words(cWords, `class namespace template typename public private protected virtual
			override nullptr new delete using std vector string cout endl include iostream const_cast
			static_cast dynamic_cast reinterpret_cast operator friend noexcept constexpr auto unique_ptr
			shared_ptr`),
		Rules: []Rule{
			{`std::cout\s*<<\s*$`, `"Hello, World!" << std::endl;`, 0.85},
			{`^\s*int\s+main\($`, ") {", 0.8},
		},
	},
	{
		ID: "csharp", Name: "C#", Extension: ".cs",
		Starter:     "// Write your C# code here\n\n",
		LineComment: "//", Quotes: quotes, Braces: true,
		Keywords: words(`abstract as base bool break byte case catch char checked class const continue
			decimal default delegate do double else enum event explicit extern false finally fixed float
			for foreach goto if implicit in int interface internal is lock long namespace new null object
			operator out override params private protected public readonly ref return sbyte sealed short
			sizeof static string struct switch this throw true try typeof uint ulong unchecked unsafe
			ushort using virtual void volatile while var async await Console WriteLine List Dictionary
			Task`),
		Rules: []Rule{{`Console\.WriteLine\($`, `"Hello, World!");`, 0.85}},
	},
	{
		ID: "rust", Name: "Rust", Extension: ".rs",
		Starter:     "// Write your Rust code here\n\n",
		LineComment: "//", Quotes: "\"`", Braces: true,
		Keywords: words(`as async await break const continue crate dyn else enum extern false fn for if
			impl in let loop match mod move mut pub ref return self Self static struct super trait true
			type unsafe use where while String Vec Option Some None Result Ok Err Box println format
			derive Debug Clone`),
		Rules: []Rule{{`println!\($`, `"Hello, World!");`, 0.85}},
	},
	{
		ID: "kotlin", Name: "Kotlin", Extension: ".kt",
		Starter:     "// Write your Kotlin code here\n\n",
		LineComment: "//", Quotes: quotes, Braces: true,
		Keywords: words(`abstract as break class companion const continue data do else enum false final
			for fun if import in inline interface internal is lateinit null object open override package
			private protected public return sealed super this throw true try typealias val var when
			while String Int List MutableList listOf mutableListOf println`),
		Rules: []Rule{{`(?:^|[^\w.])println\($`, `"Hello, World!")`, 0.85}},
	},
	{
		ID: "swift", Name: "Swift", Extension: ".swift",
		Starter:     "// Write your Swift code here\n\n",
		LineComment: "//", Quotes: quotes, Braces: true,
		Keywords: words(`associatedtype break case catch class continue default defer deinit do else enum
			extension fallthrough false fileprivate for func guard if import in init inout internal let
			nil open operator private protocol public repeat rethrows return self static struct
			subscript super switch throw throws true try var where while String Int Double Bool Array
			print`),
		Rules: []Rule{{`(?:^|[^\w.])print\($`, `"Hello, World!")`, 0.85}},
	},
	{
		ID: "ruby", Name: "Ruby", Extension: ".rb",
		Starter:     "# Write your Ruby code here\n\n",
		LineComment: "#", Quotes: quotes,
		Keywords: words(`alias and begin break case class def defined do else elsif end ensure false for
			if in module next nil not or redo rescue retry return self super then true undef unless until
			when while yield puts require attr_accessor attr_reader initialize each map`),
		Rules: []Rule{{`^\s*puts\s+$`, "'Hello, World!'", 0.85}},
	},
	{
		ID: "php", Name: "PHP", Extension: ".php",
		Starter:     "<?php\n// Write your PHP code here\n\n",
		LineComment: "//", Quotes: quotes, Braces: true,
		Keywords: words(`abstract and array as break callable case catch class clone const continue
			declare default do echo else elseif empty enddeclare endfor endforeach endif endswitch
			endwhile extends final finally fn for foreach function global goto if implements include
			instanceof insteadof interface isset list match namespace new null private protected public
			readonly require return static switch throw trait try unset use var while yield true false`),
		Rules: []Rule{{`^\s*echo\s+$`, "'Hello, World!';", 0.85}},
	},
	{
		ID: "shell", Name: "Shell", Extension: ".sh",
		Starter:     "# Write your shell script here\n\n",
		LineComment: "#", Quotes: quotes,
		Keywords: words(`if then else elif fi case esac for while until do done in function return exit
			local export readonly echo printf read set unset shift test source true false`),
		Rules: []Rule{{`^\s*echo\s+$`, `"Hello, World!"`, 0.85}},
	},
	{
		ID: "sql", Name: "SQL", Extension: ".sql",
		Starter:     "-- Write your SQL here\n\n",
		LineComment: "--", Quotes: quotes,
		Keywords: words(`SELECT FROM WHERE INSERT INTO VALUES UPDATE SET DELETE CREATE TABLE ALTER DROP
			INDEX VIEW JOIN INNER LEFT RIGHT OUTER ON GROUP BY ORDER HAVING LIMIT OFFSET DISTINCT AS AND OR
			NOT NULL IS IN BETWEEN LIKE EXISTS UNION ALL PRIMARY KEY FOREIGN REFERENCES DEFAULT UNIQUE
			COUNT SUM AVG MIN MAX INTEGER VARCHAR TEXT BOOLEAN TIMESTAMP select from where insert into
			values update delete create table join group order limit`),
	},
	{
		ID: "html", Name: "HTML", Extension: ".html",
		Starter: "<!-- Write your HTML here -->\n\n",
		Quotes:  quotes,
		Keywords: words(`html head body title meta link script style div span section article header
			footer nav main button input form label select option textarea table thead tbody tr td th ul
			ol li img href src class id type name value charset viewport stylesheet`),
	},
	{
		ID: "css", Name: "CSS", Extension: ".css",
		Starter: "/* Write your CSS here */\n\n",
		Quotes:  quotes, Braces: true,
		Keywords: words(`color background display flex grid margin padding border width height position
			absolute relative fixed top left right bottom font family size weight align items justify
			content center none block inline transition transform opacity important media hover`),
	},
	{
		ID: "json", Name: "JSON", Extension: ".json",
		Starter:  "{\n}\n",
		Quotes:   quotes,
		Keywords: words(`true false null`),
	},
	{
		ID: "markdown", Name: "Markdown", Extension: ".md",
		Starter: "<!-- Write your Markdown here -->\n\n",
		Prose:   true,
	},
	{ID: "plaintext", Name: "Plain text", Extension: ".txt", Prose: true},
}

const jsWords = `await break case catch class const continue debugger default delete do else export
	extends false finally for function if import in instanceof let new null return super switch this
	throw true try typeof undefined var void while yield async of console log error document window
	Promise Array Object String Number JSON Math Map Set length push prototype then require module
	exports`

const cWords = `auto break case char const continue default do double else enum extern float for goto if
	int long register return short signed sizeof static struct switch typedef union unsigned void
	volatile while include define ifdef ifndef endif stdio stdlib string printf fprintf malloc free
	NULL size_t uint8_t uint32_t int64_t`

// words returns the white-space separated words of lists, in order.
func words(lists ...string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, strings.Fields(l)...)
	}
	return out
}
