package datasets

// Fuzz targets for every parser. Run each for a short time, capping input
// minimisation (its 60 s default would eat a 10 s run on the 3 KB CIFAR
// seeds):
//
//	go test -run '^$' -fuzz '^FuzzReadCIFAR$' -fuzztime 10s -fuzzminimizetime 200x ./datasets/

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

// checkParseResult asserts the contract every parser shares: an error is a
// *ParseError naming the file, a success is a valid dataset.
func checkParseResult(t *testing.T, d *Dataset, err error, file string) {
	t.Helper()
	if err != nil {
		var pe *ParseError
		if !errors.As(err, &pe) {
			if strings.Contains(err.Error(), file) {
				return // option or schema errors name the file directly
			}
			t.Fatalf("error %v names no file", err)
		}
		if pe.File != file {
			t.Fatalf("error names file %q, want %q", pe.File, file)
		}
		return
	}
	if err := d.Validate(); err != nil {
		t.Fatalf("parser returned an invalid dataset: %v", err)
	}
}

func FuzzReadIDX(f *testing.F) {
	f.Add(idxBytes([]int{2, 3}, []byte{1, 2, 3, 4, 5, 6}))
	f.Add(idxBytes([]int{1, 2, 2}, []byte{0, 255, 7, 9}))
	f.Add(idxBytes([]int{3}, []byte{0, 9, 1}))
	f.Add([]byte{0, 0, 8, 1, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ReadIDX(bytes.NewReader(b), "f.idx")
		if err != nil {
			if pe := asParseError(t, err); pe.File != "f.idx" {
				t.Fatalf("file %q", pe.File)
			}
			return
		}
		n := 1
		for _, d := range m.Dims {
			n *= d
		}
		if n != len(m.Data) || 4+4*len(m.Dims)+n != len(b) {
			t.Fatalf("dims %v with %d data bytes from %d input bytes", m.Dims, len(m.Data), len(b))
		}
	})
}

// FuzzReadCIFAR reads its input as CIFAR-10 and as CIFAR-100.
func FuzzReadCIFAR(f *testing.F) {
	f.Add(cifarRecord([]byte{1}, 0))
	f.Add(cifarRecord([]byte{3, 42}, 5))
	f.Add(cifarRecord([]byte{1}, 0)[:100])
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, coarse := range []bool{false, true} {
			read, rec := ReadCIFAR10, cifar10Record
			if coarse {
				read, rec = ReadCIFAR100, cifar100Record
			}
			d, err := read(context.Background(), "c", []string{"b.bin"}, []io.Reader{bytes.NewReader(b)})
			checkParseResult(t, d, err, "b.bin")
			if err == nil && d.Len()*rec != len(b) {
				t.Fatalf("%d records from %d bytes", d.Len(), len(b))
			}
		}
	})
}

func FuzzReadCSV(f *testing.F) {
	f.Add("a,colour,label\n1.5,red,0\n-2,\"bl,ue\",1\n?,red,1\n", "label", false)
	f.Add("1,x\n2,y\n", "c1", true)
	f.Add("a,y\n1e400,0\n", "y", false)
	f.Fuzz(func(t *testing.T, in, label string, noHeader bool) {
		d, err := ReadCSV(context.Background(), strings.NewReader(in), "f.csv", CSVOptions{Label: label, NoHeader: noHeader, Tabular: TabularOptions{TrainRows: []int{0}}})
		checkParseResult(t, d, err, "f.csv")
	})
}

func FuzzReadARFF(f *testing.F) {
	f.Add(arffSample)
	f.Add("@relation r\n@attribute a numeric\n@attribute c {x, y}\n@data\n1,x\n?,y\n")
	f.Fuzz(func(t *testing.T, in string) {
		a, err := ReadARFF(context.Background(), strings.NewReader(in), "f.arff")
		if err != nil {
			if pe := asParseError(t, err); pe.File != "f.arff" {
				t.Fatalf("file %q", pe.File)
			}
			return
		}
		for i, row := range a.Rows {
			if len(row) != len(a.Attributes) {
				t.Fatalf("row %d has %d cells for %d attributes", i, len(row), len(a.Attributes))
			}
		}
		last := a.Attributes[len(a.Attributes)-1]
		if last.Type == "nominal" && len(a.Rows) > 0 {
			d, err := a.Dataset("f.arff", "f", last.Name, nil, TabularOptions{})
			checkParseResult(t, d, err, "f.arff")
		}
	})
}

func FuzzReadAdult(f *testing.F) {
	f.Add(adultSample)
	f.Fuzz(func(t *testing.T, in string) {
		d, err := ReadAdult(context.Background(), strings.NewReader(in), "adult.data", TabularOptions{})
		checkParseResult(t, d, err, "adult.data")
	})
}
