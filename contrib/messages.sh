#!/bin/sh
# contrib/messages.sh [OUT] - write doc/messages.md (or OUT): one message of
# each kind per channel of the shipped examples, as recipients will read
# them, made by `heraldd -m` so the document cannot drift from the code.
#
# The examples ship with every channel on the log plugin and ack links
# off (their secret files do not exist in the tree).  Here a copy of each
# is switched to what a ministry runs: SMS through the sms plugin signed
# 【商务部】, mail through the email plugin, WeCom robots through the
# webhook plugin, ack links and SMS replies on, with throwaway secrets.
# Nothing is sent: heraldd -m only checks the config and renders.
#
# Environment: HERALDD (default _build/core/heraldd), HERALD_PLUGIN_DIR
# (default _build/plugins/.libs), relative to the source tree.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
heraldd=${HERALDD:-$top/_build/core/heraldd}
plugins=${HERALD_PLUGIN_DIR:-$top/_build/plugins/.libs}
out=${1:-$top/doc/messages.md}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/herald-messages.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

cp -R "$top/conf/examples" "$top/conf/calendars" "$tmp/"
chmod -R u+w "$tmp"	# a tarball's tree may be read-only (distcheck)
mkdir "$tmp/examples/secrets"
for f in ack.key kannel.pw sms-reply.token; do
	printf 'not-a-real-secret-%s\n' "$f" >"$tmp/examples/secrets/$f"
done
printf 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=EXAMPLE\n' \
    >"$tmp/examples/secrets/wecom.url"
chmod 600 "$tmp/examples/secrets/"*

# switch FILE: the channels and ack settings a ministry would run.
switch() {
	python3 - "$1" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p, encoding='utf-8').read()
channels = '''channels = (
	{ name = "sms"; plugin = "sms"; url = "http://127.0.0.1:13013/cgi-bin/sendsms";
	  user = "herald"; password_file = "secrets/kannel.pw"; signature = "【商务部】"; },
	{ name = "mail"; plugin = "email"; server = "smtp.example.gov.cn:587";
	  from = "消费促进司 <xfcj@example.gov.cn>"; },
	{ name = "wecom-bj"; plugin = "webhook"; flavour = "wecom"; url_file = "secrets/wecom.url"; },
	{ name = "wecom-gd"; plugin = "webhook"; flavour = "wecom"; url_file = "secrets/wecom.url"; }%s
);''' % (',\n\t{ name = "live"; plugin = "log"; format = "json"; }'
         if 'name = "live"' in s else '')
s = re.sub(r'(?ms)^channels = \(.*?^\);', lambda m: channels, s, count=1)
s = s.replace('herald = {', '''herald = {
	public_url = "https://herald.example.gov.cn";
	ack_secret_file = "secrets/ack.key";
	sms_reply_token_file = "secrets/sms-reply.token";''', 1)
open(p, 'w', encoding='utf-8').write(s)
PY
}

{
	cat <<'HEAD'
# 各类消息示例

本文由 `contrib/messages.sh` 根据随附示例配置（`conf/examples/`）用
`heraldd -m` 生成，请勿手工修改；改了模板或代码后重新运行该脚本。
`make check` 中的 `tests/integration/test_messages_doc.sh` 会重新生成并与
本文比对，不一致即失败。

生成时假定：短信走 sms 插件，签名为【商务部】；邮件走 email 插件；企业微信
群机器人走 webhook 插件；已配置 `public_url`、`ack_secret_file` 和
`sms_reply_token_file`，即确认链接和短信回复确认都已开启。确认链接中的令牌
以“（确认令牌）”代替。逾期督办和每日汇总中，假定每个报送节点只有受众中的
第一个单位已报送。每类消息、每个渠道只列最早发出的一条。

HEAD
	for y in 2023 2020; do
		switch "$tmp/examples/xfcjy-$y.conf"
		(cd "$tmp/examples" && "$heraldd" -m -p "$plugins" -c "xfcjy-$y.conf")
	done
} >"$tmp/messages.md"
mv "$tmp/messages.md" "$out"
