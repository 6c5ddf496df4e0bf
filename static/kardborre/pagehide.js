// viewflow's list keeps the selected rows across page loads by saving them on "unload";
// browsers are removing unload listeners (they also keep pages out of the back/forward
// cache). "pagehide" fires in the same moments, so such listeners are registered for it.
(function () {
  var add = window.addEventListener;
  var remove = window.removeEventListener;
  window.addEventListener = function (type, listener, options) {
    return add.call(this, type === "unload" ? "pagehide" : type, listener, options);
  };
  window.removeEventListener = function (type, listener, options) {
    return remove.call(this, type === "unload" ? "pagehide" : type, listener, options);
  };
})();
