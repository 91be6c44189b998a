# scripts/pdf.sh - write a one-page PDF by hand, for the demo and the tests
# (no PDF tools needed). Source it, then: pdf_write OUT CONTENT_STREAM
# [HEADER_COMMENT]. The page uses Helvetica as /F1; the xref table holds
# the byte offset of every object, so qpdf --check accepts the file.

# pdf_write - out, content stream, optional second header line (binary
# bytes there mark the file as binary to transfer programs)
pdf_write() {
	local out=$1 stream=$2 comment=${3:-} pdf xref i
	local -a objects offsets
	local LC_ALL=C
	objects=(
		"<< /Type /Catalog /Pages 2 0 R >>"
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>"
		"<< /Length ${#stream} >>"$'\n'"stream"$'\n'"$stream"$'\n'"endstream"
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
	)
	pdf=$'%PDF-1.4\n'
	[ -z "$comment" ] || pdf+="$comment"$'\n'
	for i in "${!objects[@]}"; do
		offsets[i]=${#pdf}
		pdf+="$((i + 1)) 0 obj"$'\n'"${objects[i]}"$'\n'"endobj"$'\n'
	done
	xref=${#pdf}
	pdf+="xref"$'\n'"0 $((${#objects[@]} + 1))"$'\n'"0000000000 65535 f "$'\n'
	for i in "${!objects[@]}"; do
		pdf+=$(printf '%010d 00000 n ' "${offsets[i]}")$'\n'
	done
	pdf+="trailer"$'\n'"<< /Size $((${#objects[@]} + 1)) /Root 1 0 R >>"$'\n'
	pdf+="startxref"$'\n'"$xref"$'\n'"%%EOF"$'\n'
	printf '%s' "$pdf" >"$out"
}
