// Package modelfile reads and writes trained lenetcl models.
//
// A model file holds a network's parameters as a flat float32 vector, the
// name of the network definition that gives them meaning, and free-form facts
// about how they were produced. The format is specified here in full so that
// a model trained by lenetcl can be read from any language.
//
// # Layout
//
// All integers are unsigned 32-bit little-endian. H is the header length and
// N the parameter count; offsets and sizes are in bytes.
//
//	offset   size  field
//	0        12    magic: 89 4C 45 4E 45 54 43 4C 0D 0A 1A 0A
//	12       4     format version: 1
//	16       4     H
//	20       H     header: UTF-8 JSON object, described below
//	20+H     4     N
//	24+H     4N    parameters: N IEEE 754 binary32 values, little-endian
//	24+H+4N  4     checksum: CRC-32C of bytes [0, 24+H+4N)
//
// The file is exactly 28+H+4N bytes; nothing follows the checksum. The
// smallest conceivable file, with H = N = 0, is 28 bytes.
//
// # Magic
//
// The magic is "\x89LENETCL\r\n\x1a\n", built as PNG's is. The leading
// 0x89 is not ASCII, so the file is not taken for text and a 7-bit transfer
// shows; "LENETCL" names the format to a person with a hex dump; CR LF and
// the lone LF reveal line-ending conversion; 0x1A (Ctrl-Z) stops DOS "type"
// from printing the rest.
//
// # Header
//
// The header is a JSON object (RFC 8259) with two members:
//
//   - "arch": a non-empty string naming the network definition whose
//     parameter order and shapes the vector follows, e.g. "lenet5-1998".
//   - "meta": an object whose values are all strings: free-form facts such as
//     backend, loss, epochs, test error and creation time. It may be empty.
//     Loading the parameters must never depend on it.
//
// Readers ignore other members. This package writes compact JSON with the
// two members in the order above and meta's keys sorted by byte value, so
// the same model always encodes to the same bytes; readers must not rely on
// that.
//
// # Parameters
//
// The order and meaning of the parameters are defined by arch. Every value
// must be finite: NaN and infinities mean training diverged, and files
// holding them are refused. Negative zero and subnormal values are valid and
// are preserved bit for bit.
//
// # Checksum
//
// The checksum is CRC-32C (Castagnoli; polynomial 0x1EDC6F41, reflected
// 0x82F63B78; initial value and final XOR 0xFFFFFFFF; input and output
// reflected), the CRC used by iSCSI and ext4. Its check value, the CRC of
// the ASCII bytes "123456789", is 0xE3069283.
//
// # Reading
//
// A reader checks, in this order, and refuses the file at the first failure:
//
//  1. the file has at least 28 bytes;
//  2. the magic matches;
//  3. the version is one it reads (this package reads only 1);
//  4. 28+H bytes are present, then 28+H+4N bytes are present, both checked
//     before allocating anything by these untrusted counts;
//  5. the checksum matches;
//  6. the header is valid UTF-8 JSON of the form above with a non-empty arch;
//  7. no bytes follow the checksum;
//  8. every parameter is finite.
//
// Any change to the layout or the header's required members takes a new
// version number; readers refuse versions they do not know.
//
// This package refuses to write or load files larger than MaxFileSize
// (64 MiB, about 16.7 million parameters).
//
// # Example
//
// The model with arch "demo", meta {"epochs": "1"} and parameters 1.0 and
// -0.0 encodes to these 73 bytes (H = 37, N = 2, checksum 0x90FF046A):
//
//	00000000  89 4c 45 4e 45 54 43 4c  0d 0a 1a 0a 01 00 00 00  |.LENETCL........|
//	00000010  25 00 00 00 7b 22 61 72  63 68 22 3a 22 64 65 6d  |%...{"arch":"dem|
//	00000020  6f 22 2c 22 6d 65 74 61  22 3a 7b 22 65 70 6f 63  |o","meta":{"epoc|
//	00000030  68 73 22 3a 22 31 22 7d  7d 02 00 00 00 00 00 80  |hs":"1"}}.......|
//	00000040  3f 00 00 00 80 6a 04 ff  90                       |?....j...|
package modelfile
