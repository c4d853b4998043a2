package completion

import (
	"strings"
	"sync"

	"github.com/pairpad/pairpad/completion/ngram"
)

// keywords are, for the languages without an embedded n-gram model (all
// but Go, Python, JavaScript and TypeScript), the
// words the language itself brings (keywords, built-in types and the most
// used library names): the engine completes a partial word from them when
// the document does not have it yet.
var keywords = map[string]string{
	"javascript": jsWords,
	"typescript": jsWords + ` interface type enum implements private protected public readonly abstract
		declare namespace keyof infer unknown never any string number boolean void as satisfies`,
	"java": `abstract assert boolean break byte case catch char class continue default do double else
		enum extends final finally float for if implements import instanceof int interface long native
		new package private protected public return short static super switch synchronized this throw
		throws transient try void volatile while true false null var record String System println
		Override ArrayList HashMap List Map Integer Exception RuntimeException`,
	"c": cWords,
	"cpp": cWords + ` class namespace template typename public private protected virtual override
		nullptr new delete using std vector string cout endl include iostream const_cast static_cast
		dynamic_cast reinterpret_cast operator friend noexcept constexpr auto unique_ptr shared_ptr`,
	"csharp": `abstract as base bool break byte case catch char checked class const continue decimal
		default delegate do double else enum event explicit extern false finally fixed float for foreach
		goto if implicit in int interface internal is lock long namespace new null object operator out
		override params private protected public readonly ref return sbyte sealed short sizeof static
		string struct switch this throw true try typeof uint ulong unchecked unsafe ushort using virtual
		void volatile while var async await Console WriteLine List Dictionary Task`,
	"rust": `as async await break const continue crate dyn else enum extern false fn for if impl in let
		loop match mod move mut pub ref return self Self static struct super trait true type unsafe use
		where while String Vec Option Some None Result Ok Err Box println format derive Debug Clone`,
	"kotlin": `abstract as break class companion const continue data do else enum false final for fun
		if import in inline interface internal is lateinit null object open override package private
		protected public return sealed super this throw true try typealias val var when while String Int
		List MutableList listOf mutableListOf println`,
	"swift": `associatedtype break case catch class continue default defer deinit do else enum extension
		fallthrough false fileprivate for func guard if import in init inout internal let nil open
		operator private protocol public repeat rethrows return self static struct subscript super switch
		throw throws true try var where while String Int Double Bool Array print`,
	"ruby": `alias and begin break case class def defined do else elsif end ensure false for if in module
		next nil not or redo rescue retry return self super then true undef unless until when while
		yield puts require attr_accessor attr_reader initialize each map`,
	"php": `abstract and array as break callable case catch class clone const continue declare default do
		echo else elseif empty enddeclare endfor endforeach endif endswitch endwhile extends final finally
		fn for foreach function global goto if implements include instanceof insteadof interface isset
		list match namespace new null private protected public readonly require return static switch
		throw trait try unset use var while yield true false`,
	"shell": `if then else elif fi case esac for while until do done in function return exit local export
		readonly echo printf read set unset shift test source true false`,
	"sql": `SELECT FROM WHERE INSERT INTO VALUES UPDATE SET DELETE CREATE TABLE ALTER DROP INDEX VIEW JOIN
		INNER LEFT RIGHT OUTER ON GROUP BY ORDER HAVING LIMIT OFFSET DISTINCT AS AND OR NOT NULL IS IN
		BETWEEN LIKE EXISTS UNION ALL PRIMARY KEY FOREIGN REFERENCES DEFAULT UNIQUE COUNT SUM AVG MIN MAX
		INTEGER VARCHAR TEXT BOOLEAN TIMESTAMP select from where insert into values update delete create
		table join group order limit`,
	"html": `html head body title meta link script style div span section article header footer nav main
		button input form label select option textarea table thead tbody tr td th ul ol li img href src
		class id type name value charset viewport stylesheet`,
	"css": `color background display flex grid margin padding border width height position absolute
		relative fixed top left right bottom font family size weight align items justify content center
		none block inline transition transform opacity important media hover`,
	"json": `true false null`,
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

// keywordModels holds a vocabulary-only model per language in keywords.
var keywordModels = func() map[string]func() *ngram.Model {
	out := map[string]func() *ngram.Model{}
	for lang, words := range keywords {
		out[lang] = sync.OnceValue(func() *ngram.Model {
			return ngram.Vocabulary(strings.Fields(words))
		})
	}
	return out
}()

// sharedModels maps a language to the language whose embedded model it uses.
var sharedModels = map[string]string{"typescript": "javascript"}

// languageModel returns the embedded model of language, else the model of
// its keywords, else nil.
func languageModel(language string) *ngram.Model {
	embedded := language
	if other, ok := sharedModels[language]; ok {
		embedded = other
	}
	if m := ngram.ForLanguage(embedded); m != nil {
		return m
	}
	if load := keywordModels[language]; load != nil {
		return load()
	}
	return nil
}

// LoadModels decodes every embedded language model now rather than on the
// first suggestion in that language (a fraction of a second each).
func LoadModels() {
	for lang := range knownLanguages {
		languageModel(lang)
	}
}
