"""example.py - the values of the shipped example configs that the message
tests need to compute the texts they expect: units, groups, contacts,
deadlines, tasks and templates, read with regular expressions from the
config text (the examples keep one setting per line or one entry per
line).  Nothing here knows how herald renders; the tests do the
substitution themselves.
"""
import datetime
import re

WEEKDAYS = ['星期一', '星期二', '星期三', '星期四', '星期五', '星期六', '星期日']


def read(path):
    return open(path, encoding='utf-8').read()


def units(text):
    """{id: name}, in config order."""
    return dict(re.findall(r'\{\s*id\s*=\s*"([^"]+)";\s*name\s*=\s*"([^"]+)";'
                           r'[^}]*liaison', text))


def unit_liaisons(text):
    return dict(re.findall(r'\{\s*id\s*=\s*"([^"]+)";[^}]*liaison\s*=\s*"([^"]+)"',
                           text))


def contacts(text):
    """{id: {name, unit, phone, email}}."""
    out = {}
    for m in re.finditer(r'\{\s*id\s*=\s*"([^"]+)";\s*name\s*=\s*"([^"]+)";\s*'
                         r'unit\s*=\s*"([^"]+)";(.*?)\}', text, re.S):
        body = m.group(4)
        phone = re.search(r'phone\s*=\s*"([^"]+)"', body)
        email = re.search(r'email\s*=\s*"([^"]+)"', body)
        out[m.group(1)] = {
            'name': m.group(2), 'unit': m.group(3),
            'phone': phone.group(1).replace(' ', '') if phone else None,
            'email': email.group(1) if email else None}
    return out


def group(text, gid):
    m = re.search(r'id\s*=\s*"%s";[^;]*;\s*members\s*=\s*\[([^\]]*)\]' %
                  re.escape(gid), text)
    return re.findall(r'"([^"]+)"', m.group(1))


def block(text, key, ident):
    """The { ... } entry of a list whose id (or key) is ident."""
    i = re.search(r'\b%s\s*=\s*"%s";' % (key, re.escape(ident)), text).start()
    start = text.rindex('{', 0, i)
    depth = 0
    for j in range(start, len(text)):
        if text[j] == '{':
            depth += 1
        elif text[j] == '}':
            depth -= 1
            if depth == 0:
                return text[start:j + 1]
    raise ValueError(ident)


def setting(blk, key):
    m = re.search(r'\b%s\s*=\s*"((?:[^"\\]|\\.)*)"' % re.escape(key), blk)
    return m.group(1) if m else None


def template(text, kind, field='default'):
    blk = text[text.index('\ntemplates = {'):]
    k = blk[blk.index('\t%s = {' % kind):]
    k = k[:k.index('};')]
    v = setting(k, field)
    return v.replace('\\n', '\n') if v is not None else None


def civil(s):
    return datetime.datetime.strptime(s, '%Y-%m-%d %H:%M')


def when(dt):
    """"8月5日 17:00" """
    return '%d月%d日 %02d:%02d' % (dt.month, dt.day, dt.hour, dt.minute)


def weekday(dt, today=None):
    if today is not None and dt.date() == today:
        return '今天'
    return WEEKDAYS[dt.weekday()]


def left(seconds):
    """Whole days and hours, as the tests use them (no minutes)."""
    d, h = seconds // 86400, seconds % 86400 // 3600
    if d and h:
        return '%d天%d小时' % (d, h)
    if d:
        return '%d天' % d
    return '%d小时' % h


def fill(tmpl, values):
    return re.sub(r'\{\{\s*(\w+)\s*\}\}', lambda m: values.get(m.group(1), ''),
                  tmpl)
