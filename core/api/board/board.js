/*
 * board.js - the board's one script (core/api/board.c): re-fetch the
 * view's live part every few seconds and sort the matrix.  Plain
 * JavaScript, no framework.  Without it every view still works; it only
 * spares the reload.
 *
 * Polling rather than Server-Sent Events: each poll is one short GET
 * through the same handler as the page (its session, its limits), and
 * the ETag (If-None-Match) makes an unchanged view a 304 with no body;
 * an SSE stream would hold one of heraldd's connections per open screen
 * and need a push from every place that changes the store.
 */
(function () {
	"use strict";
	var PERIOD = 3000;
	var live = document.getElementById("live");
	var etag = null;
	var sorts = {};	/* table key -> [column, direction] */

	function key(cell) {
		var k = cell.getAttribute("data-k");
		return k !== null ? k : cell.textContent;
	}

	function sortTable(table, col, dir) {
		var body = table.tBodies[0];
		var rows = Array.prototype.slice.call(body.rows);
		rows.sort(function (a, b) {
			var x = key(a.cells[col]), y = key(b.cells[col]);
			return dir * x.localeCompare(y, "zh-CN");
		});
		rows.forEach(function (r) { body.appendChild(r); });
		var ths = table.tHead.rows[0].cells;
		for (var i = 0; i < ths.length; i++)
			ths[i].setAttribute("aria-sort", i === col ?
			    (dir > 0 ? "ascending" : "descending") : "none");
	}

	function tableKey(table) {
		return table.getAttribute("data-campaign") || "t";
	}

	function wire(root) {
		var tables = root.querySelectorAll("table.matrix");
		Array.prototype.forEach.call(tables, function (table) {
			var ths = table.tHead.rows[0].cells;
			Array.prototype.forEach.call(ths, function (th, col) {
				var b = th.querySelector("button.sort");
				if (!b)
					return;
				b.addEventListener("click", function () {
					var s = sorts[tableKey(table)];
					var dir = s && s[0] === col ? -s[1] : 1;
					sorts[tableKey(table)] = [col, dir];
					sortTable(table, col, dir);
				});
			});
			var s = sorts[tableKey(table)];
			if (s)
				sortTable(table, s[0], s[1]);
		});
	}

	function busy() {
		var a = document.activeElement;
		return a && live.contains(a) && (a.tagName === "INPUT" ||
		    a.tagName === "TEXTAREA" || a.tagName === "SELECT");
	}

	function poll() {
		if (document.hidden || busy())
			return;
		var h = {};
		if (etag)
			h["If-None-Match"] = etag;
		fetch(live.getAttribute("data-src"), { headers: h,
		    credentials: "same-origin", cache: "no-store" })
		    .then(function (r) {
			if (r.status === 401) {
				window.location.reload();
				return null;
			}
			if (r.status !== 200)
				return null;
			etag = r.headers.get("ETag");
			return r.text();
		}).then(function (html) {
			if (html === null || html === undefined)
				return;
			live.innerHTML = html;
			wire(live);
			var upd = document.getElementById("upd");
			var at = document.getElementById("updat");
			if (upd && at) {
				at.textContent = new Date().toLocaleTimeString(
				    "zh-CN");
				upd.hidden = false;
			}
		}).catch(function () { /* next round */ });
	}

	wire(document);
	if (live) {
		live.setAttribute("data-ready", "1");
		window.setInterval(poll, PERIOD);
	}
})();
