# Sample messages (raw bytes, FETCH items) for differential MIME tests against Dovecot.
M = {}
M['plain'] = (b"Date: Mon, 7 Feb 1994 21:52:25 -0800\r\nFrom: Fred Foobar <foobar@Blurdybloop.COM>\r\nSubject: afternoon meeting\r\nTo: mooch@owatagu.siam.edu\r\nMessage-Id: <B27397-0100000@Blurdybloop.COM>\r\nMIME-Version: 1.0\r\nContent-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\nHello Joe, do you think we can meet at 3:30 tomorrow?\r\n",
  ["ENVELOPE","BODY","BODYSTRUCTURE","BODY.PEEK[1]","BODY.PEEK[TEXT]","BODY.PEEK[1.MIME]","BODY.PEEK[HEADER.FIELDS (from TO)]","BODY.PEEK[HEADER.FIELDS.NOT (from to)]","BODY.PEEK[2]","BODY.PEEK[1.1]","BODY.PEEK[1.HEADER]","BODY.PEEK[1.TEXT]"])
M['alt'] = (b"From: a@b.c\r\nTo: x@y.z, \"Q, R\" <q@r.s>\r\nSubject: alt\r\nContent-Type: multipart/alternative; boundary=\"XX\"\r\n\r\npreamble\r\n--XX\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nh=C3=A9llo\r\nline2\r\n--XX\r\nContent-Type: text/html; charset=\"utf-8\"\r\n\r\n<p>hi</p>\r\n--XX--\r\nepilogue\r\n",
  ["ENVELOPE","BODY","BODYSTRUCTURE","BODY.PEEK[1]","BODY.PEEK[1.MIME]","BODY.PEEK[2]","BODY.PEEK[2.MIME]","BODY.PEEK[TEXT]","BODY.PEEK[3]","BODY.PEEK[1.1]","BODY.PEEK[1.TEXT]","BODY.PEEK[1.HEADER]"])
M['mixed'] = (b"From: a@b.c\r\nSubject: mixed\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed;\r\n boundary=\"=_b1\"; foo=bar\r\nContent-Language: en\r\n\r\n--=_b1\r\nContent-Type: text/plain\r\n\r\nbody text\r\n--=_b1\r\nContent-Type: application/pdf; name=\"doc.pdf\"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"doc.pdf\"; size=12\r\nContent-ID: <cid1@x>\r\nContent-Description: A document\r\nContent-Language: en, de\r\nContent-Location: http://x/y\r\nContent-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\r\n\r\nSGVsbG8gd29ybGQh\r\n--=_b1--\r\n",
  ["BODY","BODYSTRUCTURE","BODY.PEEK[2]","BODY.PEEK[2.MIME]","BODY.PEEK[1.MIME]"])
M['nested'] = (b"From: a@b.c\r\nSubject: fwd\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b1\r\nContent-Type: message/rfc822\r\n\r\nFrom: inner@x.y\r\nSubject: inner\r\nDate: Tue, 1 Jan 2019 10:00:00 +0100\r\nContent-Type: multipart/alternative; boundary=b2\r\n\r\n--b2\r\nContent-Type: text/plain\r\n\r\ninner text\r\n--b2\r\nContent-Type: text/html\r\n\r\n<b>x</b>\r\n--b2--\r\n\r\n--b1--\r\n",
  ["BODY","BODYSTRUCTURE","BODY.PEEK[2]","BODY.PEEK[2.MIME]","BODY.PEEK[2.HEADER]","BODY.PEEK[2.TEXT]","BODY.PEEK[2.1]","BODY.PEEK[2.2]","BODY.PEEK[2.1.MIME]","BODY.PEEK[2.HEADER.FIELDS (subject)]","BODY.PEEK[2.3]","BODY.PEEK[1.HEADER]"])
M['nested_plain'] = (b"Subject: fwd2\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner2\r\n\r\ninner body\r\n",
  ["BODY","BODYSTRUCTURE","BODY.PEEK[1]","BODY.PEEK[1.1]","BODY.PEEK[1.HEADER]","BODY.PEEK[1.TEXT]","BODY.PEEK[1.MIME]","BODY.PEEK[1.1.MIME]","BODY.PEEK[TEXT]"])
M['unclosed'] = (b"Subject: u\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\npart one\r\n--zz\r\n\r\npart two no end\r\n",
  ["BODY","BODYSTRUCTURE","BODY.PEEK[1]","BODY.PEEK[2]"])
M['noboundaryfound'] = (b"Subject: u\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\njust text\r\nmore\r\n",
  ["BODY","BODYSTRUCTURE","BODY.PEEK[1]","BODY.PEEK[1.MIME]"])
M['noboundaryparam'] = (b"Subject: u\r\nContent-Type: multipart/mixed\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\njust text\r\n--zz--\r\n",
  ["BODY","BODYSTRUCTURE","BODY.PEEK[1]"])
M['barelf'] = (b"Subject: lf\nContent-Type: multipart/mixed; boundary=q\n\n--q\nContent-Type: text/plain\n\nline a\nline b\n--q--\n",
  ["BODY","BODYSTRUCTURE","BODY.PEEK[1]","BODY.PEEK[HEADER]","RFC822.SIZE"])
M['rfc2047'] = (b"From: =?UTF-8?B?SsO8cmdlbg==?= <j@x.de>, undisclosed-recipients:;\r\nTo: Team: a@b.c, \"B\" <b@c.d>;, solo@x.y\r\nCc: Empty:;\r\nBcc: <bare@x.y>\r\nReply-To: \"Quote \\\"me\\\"\" <r@x.y>\r\nSender: s@x.y (Comment Name)\r\nSubject: =?iso-8859-1?Q?caf=E9?= test\r\nIn-Reply-To: <prev@x>\r\nMessage-ID: <id@x>\r\nDate: 1 Feb 2020 03:04:05 GMT\r\n\r\nx\r\n",
  ["ENVELOPE","BODYSTRUCTURE"])
M['weird'] = (b"Subject: has \"quotes\" and \\ back\r\nFrom: noat, @x, <@route:a@b>\r\nTo: \"long\r\n folded\" <a@b>\r\nContent-Type: text/plain; charset=utf-8; format=flowed\r\nContent-Transfer-Encoding: 8bit\r\nContent-Disposition: inline\r\n\r\nh\xc3\xa9\r\n",
  ["ENVELOPE","BODYSTRUCTURE","BODY"])
M['nobody'] = (b"Subject: nob\r\n", ["BODYSTRUCTURE","BODY.PEEK[HEADER]","BODY.PEEK[TEXT]","BODY.PEEK[1]","ENVELOPE"])
M['emptyparts'] = (b"Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\n\r\n--a\r\nContent-Type: text/plain\r\n--a--",
  ["BODYSTRUCTURE","BODY.PEEK[1]","BODY.PEEK[2]","BODY.PEEK[2.MIME]","BODY.PEEK[1.MIME]"])
M['8bithdr'] = (b"Subject: caf\xc3\xa9\r\nFrom: J\xc3\xbcrgen <j@x>\r\nContent-Type: text/plain; name=\"f\xc3\xa9.txt\"\r\n\r\nb\r\n",
  ["ENVELOPE","BODYSTRUCTURE"])
M['msgnodigest'] = (b"Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nSubject: in digest\r\n\r\nbody\r\n--d--\r\n",
  ["BODYSTRUCTURE","BODY.PEEK[1]","BODY.PEEK[1.HEADER]","BODY.PEEK[1.1]"])
M['typequirk'] = (b"Content-Type: text\r\n\r\nx\r\n", ["BODYSTRUCTURE"])
M['typequirk2'] = (b"Content-Type: image/GIF; Name=A\r\nContent-Transfer-Encoding: BASE64\r\n\r\nR0lG\r\n", ["BODYSTRUCTURE"])
M['rfc2231'] = (b"Content-Type: application/x-stuff; title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A\r\nContent-Disposition: attachment; filename*0=\"a\"; filename*1=\"b.txt\"\r\n\r\nx\r\n", ["BODYSTRUCTURE"])
M['hdrfold'] = (b"Subject: one\r\n two\r\nX-A: 1\r\nx-a: 2\r\nTo: t@t\r\n\r\nb\r\n", ["ENVELOPE","BODY.PEEK[HEADER.FIELDS (x-a subject)]","BODY.PEEK[HEADER.FIELDS (nothere)]","BODY.PEEK[HEADER.FIELDS.NOT (x-a)]"])
H = b"Content-Type: multipart/mixed; boundary=a\r\n\r\n"
M['e1'] = (H + b"--a\r\nContent-Type: text/plain\r\n\r\n--a--\r\n", ["BODYSTRUCTURE","BODY.PEEK[1.MIME]","BODY.PEEK[1]"])
M['e2'] = (H + b"--a\r\nX: y\r\n\r\n\r\n--a--", ["BODYSTRUCTURE","BODY.PEEK[1.MIME]","BODY.PEEK[1]"])
M['e3'] = (b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\n\r\nin1\r\n--b1--\r\n--b\r\n\r\nout2\r\n--b--\r\n", ["BODYSTRUCTURE","BODY.PEEK[1.1]","BODY.PEEK[2]"])
M['e4'] = (H + b"--a  \r\n\r\none\r\n--abc\r\n\r\ntwo\r\n--a--junk\r\n\r\nafter\r\n", ["BODYSTRUCTURE","BODY.PEEK[1]","BODY.PEEK[2]","BODY.PEEK[TEXT]"])
M['e5'] = (H + b"--a\r\nContent-Type: message/rfc822\r\n\r\nSubject: only header\r\n--a--\r\n", ["BODYSTRUCTURE","BODY.PEEK[1]","BODY.PEEK[1.HEADER]","BODY.PEEK[1.TEXT]","BODY.PEEK[1.1]"])
M['e6'] = (b"Subject: x\r\n\r\nno newline at end", ["BODYSTRUCTURE"])
M['e7'] = (H + b"--a\r\nContent-Type: multipart/alternative; boundary=c\r\n\r\n--c\r\n\r\ninner\r\n--a\r\n\r\nsecond\r\n--a--\r\n", ["BODYSTRUCTURE","BODY.PEEK[1]","BODY.PEEK[1.1]","BODY.PEEK[2]"])
M['e8'] = (b"Content-Type: multipart/mixed; boundary=\"a\"\r\n\r\n--a\r\nContent-Type: text/plain; charset=\"utf\\\"8\"; x=\"tab\there\"\r\nContent-ID: <a b>\r\nContent-Description: =?utf-8?q?d=C3=A9?=\r\nContent-Disposition: ATTACHMENT\r\nContent-Language: EN-us\r\nContent-Location: a\r\n b\r\n\r\nx\r\n--a--\r\n", ["BODYSTRUCTURE","BODY"])
M['e9'] = (b"From: \"a\" <a@b>,,\r\nTo: (c) x@y (cmt),\r\n\t\"\" <z@w>\r\nCc: Group: ;\r\nBcc: \r\nSubject:\r\nMessage-ID:   <x@y>  \r\nIn-Reply-To: <a@b> <c@d>\r\n\r\n", ["ENVELOPE"])
M['e10'] = (b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\nU3ViamVjdDogeA0KDQp5DQo=\r\n", ["BODYSTRUCTURE","BODY.PEEK[1]","BODY.PEEK[1.1]"])
M['e11'] = (b"Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\n\r\nx\r\n--a\r\nContent-Type: text/plain\r\n\r\n", ["BODYSTRUCTURE","BODY.PEEK[2]","BODY.PEEK[2.MIME]"])
M['e12'] = (b"Subject: s\r\nContent-Type: text/plain; charset=US-ASCII\r\nContent-Transfer-Encoding: 7BIT\r\n\r\nx\r\n", ["BODYSTRUCTURE","BODY"])
M['e13'] = (b"Subject: s\r\nContent-Type: Text/Plain; charset=utf-8\r\n\r\nx\r\n", ["BODYSTRUCTURE"])
M['e14'] = (b"Subject: s\r\nContent-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\nContent-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\nx\r\n--a--\r\n", ["BODYSTRUCTURE"])
M['e15'] = (b"Content-Type: MULTIPART/Mixed; BOUNDARY=a\r\n\r\n--a\r\n\r\nx\r\n--a--\r\n", ["BODYSTRUCTURE"])
M['e16'] = (b"Content-Type: ; charset=x\r\n\r\nx\r\n", ["BODYSTRUCTURE"])
M['e17'] = (b"Content-Type: text/plain;charset=us-ascii;format=flowed;;bad\r\nContent-Transfer-Encoding: quoted-printable junk\r\n\r\nx\r\n", ["BODYSTRUCTURE"])
