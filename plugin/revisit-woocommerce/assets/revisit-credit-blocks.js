/**
 * Revisit store credit in WooCommerce's Cart and Checkout blocks.
 *
 * Shows the shopper's credit (from the Store API cart, `extensions.revisit`) under the order
 * summary, with a checkbox that applies or removes it (`cart/extensions`, namespace `revisit`). The
 * texts and amounts come translated and formatted from the server. Plain JavaScript on the `wp` and
 * `wc` globals; no build step.
 */
( function ( wp, wc ) {
	'use strict';
	if ( ! wp || ! wp.plugins || ! wp.element || ! wc || ! wc.blocksCheckout ) {
		return;
	}
	var el = wp.element.createElement;
	var useState = wp.element.useState;
	var checkout = wc.blocksCheckout;

	function CreditBox( props ) {
		var credit = props.extensions && props.extensions.revisit;
		var busyState = useState( false );
		var busy = busyState[ 0 ];
		var setBusy = busyState[ 1 ];
		if ( ! credit || ! credit.show ) {
			return null;
		}
		function onChange( event ) {
			setBusy( true );
			Promise.resolve(
				checkout.extensionCartUpdate( {
					namespace: 'revisit',
					data: { use_credit: !! event.target.checked },
				} )
			).then(
				function () {
					setBusy( false );
				},
				function () {
					setBusy( false ); // The Store API's error is shown by the block as a notice.
				}
			);
		}
		return el(
			'div',
			{ className: 'revisit-credit wc-block-components-totals-item' },
			el( 'p', { className: 'revisit-credit__available' }, credit.message ),
			el(
				'label',
				{ className: 'revisit-credit__use' },
				el( 'input', {
					type: 'checkbox',
					checked: !! credit.applied,
					disabled: busy,
					onChange: onChange,
				} ),
				' ',
				credit.label
			)
		);
	}

	wp.plugins.registerPlugin( 'revisit-credit', {
		scope: 'woocommerce-checkout', // The Cart and the Checkout block both render this scope.
		render: function () {
			return el( checkout.ExperimentalOrderMeta, null, el( CreditBox, null ) );
		},
	} );
} )( window.wp, window.wc );
