package content

import (
	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/util"
)

// taskCheckBox renders a task list's box as goldmark does, plus a label:
// a form control without one is announced as an unnamed checkbox, and
// fails accessibility checks, however plain the item's text beside it.
type taskCheckBox struct{}

func (taskCheckBox) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(east.KindTaskCheckBox, renderTaskCheckBox)
}

func renderTaskCheckBox(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	if node.(*east.TaskCheckBox).IsChecked {
		_, _ = w.WriteString(`<input checked="" disabled="" type="checkbox" aria-label="Done"> `)
	} else {
		_, _ = w.WriteString(`<input disabled="" type="checkbox" aria-label="To do"> `)
	}
	return ast.WalkContinue, nil
}
